@echo off
rem linedeck ^<command^>: the LineDeck command line on this installed build's own code, without a window
rem (electron/main/cli.ts). A batch file waits for LineDeck.exe and passes on its exit code.
"%~dp0LineDeck.exe" --disable-gpu --cli %*
exit /b %ERRORLEVEL%
