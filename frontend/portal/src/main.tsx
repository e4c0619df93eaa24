// The portal's entry: i18n, the GraphQL client, the session and the routes. Each page is its own module under
// pages/; add a page by adding a route here.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { BrowserRouter } from 'react-router';
import { Provider } from 'urql';

import { makeClient } from './graphql/client';
import { startI18n } from './i18n';
import { PortalRoutes } from './routes';
import { SessionProvider } from './session';
import './styles.css';

const i18n = startI18n();
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <I18nextProvider i18n={i18n}>
        <Provider value={makeClient()}>
          <SessionProvider>
            <BrowserRouter>
              <PortalRoutes />
            </BrowserRouter>
          </SessionProvider>
        </Provider>
      </I18nextProvider>
    </StrictMode>,
  );
}
