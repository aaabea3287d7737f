import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@fontsource/noto-sans-kr/400.css';
import '@fontsource/noto-sans-kr/700.css';
import './app/theme.css';
import { initI18n } from './app/i18n';
import { usePrefs } from './stores/prefs';
import { App } from './app/App';

initI18n(usePrefs.getState().lang);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
