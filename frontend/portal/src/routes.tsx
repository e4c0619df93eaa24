// Every URL of the portal. The server (core/portal_routes.py) answers these paths with the same index.html.
import { Navigate, Route, Routes } from 'react-router';

import { RequireLogin, useSession } from './session';
import { AcceptInvitationPage } from './pages/AcceptInvitation';
import { ApiTokensPage } from './pages/ApiTokens';
import { BillingPage } from './pages/Billing';
import { ChannelsPage } from './pages/Channels';
import { ChoosePasswordPage } from './pages/ChoosePassword';
import { ConfirmSignupPage } from './pages/ConfirmSignup';
import { DashboardPage } from './pages/Dashboard';
import { FollowUpPage } from './pages/FollowUp';
import { FollowUpsPage } from './pages/FollowUps';
import { IntegrationsPage } from './pages/Integrations';
import { LoginPage } from './pages/Login';
import { NotFoundPage } from './pages/NotFound';
import { PrivacyPage } from './pages/Privacy';
import { ResponsesPage } from './pages/Responses';
import { ResetPasswordPage } from './pages/ResetPassword';
import { SecurityPage } from './pages/Security';
import { SignupPage } from './pages/Signup';
import { StorePage } from './pages/Store';
import { StoresPage } from './pages/Stores';
import { SurveyEditorPage } from './pages/SurveyEditor';
import { TeamPage } from './pages/Team';
import { WelcomePage } from './pages/Welcome';
import { Loading } from './components/States';

function Home() {
  const { me, fetching } = useSession();
  if (fetching) {
    return <Loading />;
  }
  return <Navigate to={me ? '/portal' : '/login'} replace />;
}

function member(page: React.ReactNode) {
  return <RequireLogin>{page}</RequireLogin>;
}

export function PortalRoutes() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/confirm-signup" element={<ConfirmSignupPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      <Route path="/portal" element={member(<StoresPage />)} />
      <Route path="/portal/channels" element={member(<ChannelsPage />)} />
      <Route path="/portal/stores/:storeId" element={member(<StorePage />)} />
      <Route path="/portal/stores/:storeId/dashboard" element={member(<DashboardPage />)} />
      <Route path="/portal/responses" element={member(<ResponsesPage />)} />
      <Route path="/portal/follow-ups" element={member(<FollowUpsPage />)} />
      <Route path="/portal/follow-ups/:followUpId" element={member(<FollowUpPage />)} />
      <Route path="/portal/survey" element={member(<SurveyEditorPage />)} />
      <Route path="/portal/welcome" element={member(<WelcomePage />)} />
      <Route path="/portal/integrations" element={member(<IntegrationsPage />)} />
      <Route path="/portal/team" element={member(<TeamPage />)} />
      <Route path="/portal/api-tokens" element={member(<ApiTokensPage />)} />
      <Route path="/portal/privacy" element={member(<PrivacyPage />)} />
      <Route path="/portal/billing" element={member(<BillingPage />)} />
      <Route path="/portal/security" element={member(<SecurityPage />)} />
      <Route path="/portal/choose-password" element={member(<ChoosePasswordPage />)} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
