; LineDeck's additions to electron-builder's NSIS installer (per machine, nsis.include in electron-builder.yml).
; - install.json {"scope":"machine"} in resources: the app keeps its data in %ProgramData%\LineDeck, one database
;   for every Windows user of the station (main/lib/install.ts); that folder is created here and every local user
;   (BUILTIN\Users, S-1-5-32-545) may change it, so the evening shift can open what the morning shift wrote.
; - the install folder on the machine's PATH, for linedeck.cmd (`linedeck <command>`); removed on uninstall.
; The data folder stays on uninstall: it is the plant's data.

!include "WinMessages.nsh"
!define LINEDECK_ENV_KEY "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"

!macro customInstall
  FileOpen $0 "$INSTDIR\resources\install.json" w
  FileWrite $0 '{"scope":"machine"}'
  FileClose $0
  ReadEnvStr $1 "ProgramData"
  StrCmp $1 "" 0 +2
    StrCpy $1 "C:\ProgramData"
  CreateDirectory "$1\LineDeck"
  nsExec::Exec '"$SYSDIR\icacls.exe" "$1\LineDeck" /grant *S-1-5-32-545:(OI)(CI)M /T /Q'
  Pop $2
  ; PATH: append the install folder unless it is there already
  ReadRegStr $1 HKLM "${LINEDECK_ENV_KEY}" "Path"
  Push "$1;"
  Push "$INSTDIR;"
  Call LineDeckStrContains
  Pop $2
  StrCmp $2 "1" linedeck_path_done
    StrCmp $1 "" 0 +3
      WriteRegExpandStr HKLM "${LINEDECK_ENV_KEY}" "Path" "$INSTDIR"
      Goto +2
    WriteRegExpandStr HKLM "${LINEDECK_ENV_KEY}" "Path" "$1;$INSTDIR"
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
  linedeck_path_done:
!macroend

!macro customUnInstall
  ; PATH: drop ";<install folder>" (as customInstall appended it)
  ReadRegStr $1 HKLM "${LINEDECK_ENV_KEY}" "Path"
  StrLen $3 ";$INSTDIR"
  StrCpy $4 0
  linedeck_unpath_loop:
    StrCpy $5 $1 $3 $4
    StrCmp $5 "" linedeck_unpath_done
    StrCmp $5 ";$INSTDIR" 0 linedeck_unpath_next
      StrCpy $6 $1 $4
      IntOp $7 $4 + $3
      StrCpy $8 $1 "" $7
      WriteRegExpandStr HKLM "${LINEDECK_ENV_KEY}" "Path" "$6$8"
      SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
      Goto linedeck_unpath_done
  linedeck_unpath_next:
    IntOp $4 $4 + 1
    Goto linedeck_unpath_loop
  linedeck_unpath_done:
!macroend

; Push haystack, push needle; Call; Pop → "1" when the needle occurs in the haystack, else "0".
!ifndef BUILD_UNINSTALLER
Function LineDeckStrContains
  Exch $R1 ; needle
  Exch
  Exch $R0 ; haystack
  Push $R2
  Push $R3
  Push $R4
  StrLen $R3 $R1
  StrCpy $R4 0
  loop:
    StrCpy $R2 $R0 $R3 $R4
    StrCmp $R2 "" notfound
    StrCmp $R2 $R1 found
    IntOp $R4 $R4 + 1
    Goto loop
  found:
    StrCpy $R0 "1"
    Goto done
  notfound:
    StrCpy $R0 "0"
  done:
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Exch $R0
FunctionEnd
!endif
