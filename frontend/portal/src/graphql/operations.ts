// Every GraphQL operation of the portal, typed by GraphQL Code Generator (src/gql/, made by `npm run codegen`).
import { graphql } from '../gql';

export const MeQuery = graphql(`
  query Me {
    me {
      id
      email
      name
      passwordChangeRequired
      memberships { role tenant { id name slug defaultLanguage } }
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      me { id email passwordChangeRequired }
      secondFactor { challenge expiresAt }
      errors { code message field }
    }
  }
`);

export const CompleteLoginMutation = graphql(`
  mutation CompleteLogin($challenge: String!, $code: String!) {
    completeLogin(challenge: $challenge, code: $code) {
      me { id email passwordChangeRequired }
      errors { code message field }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout { ok errors { code message field } }
  }
`);

export const SignupMutation = graphql(`
  mutation Signup($input: SignupInput!) {
    signup(input: $input) { ok errors { code message field } }
  }
`);

export const ConfirmSignupMutation = graphql(`
  mutation ConfirmSignup($token: String!, $password: String, $name: String) {
    confirmSignup(token: $token, password: $password, name: $name) {
      me { id email }
      tenant { id slug name }
      errors { code message field }
    }
  }
`);

export const RequestPasswordResetMutation = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email) { ok errors { code message field } }
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($token: String!, $newPassword: String!) {
    resetPassword(token: $token, newPassword: $newPassword) { ok errors { code message field } }
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ok errors { code message field } }
  }
`);

export const StoresQuery = graphql(`
  query Stores {
    stores(first: 100) {
      edges { node { id name slug address timezone defaultLanguage zones { id name kind } } }
    }
  }
`);

export const StoreQuery = graphql(`
  query Store($id: ID!) {
    store(id: $id) { id name slug address timezone defaultLanguage zones { id name kind } }
    surveyCodes(storeId: $id, includeRetired: false) {
      id code url zoneId campaign scans svgUrl pngUrl posterA4Url posterA5Url
    }
  }
`);

export const CreateStoreMutation = graphql(`
  mutation CreateStore($input: StoreInput!) {
    createStore(input: $input) {
      store { id name slug }
      errors { code message field }
    }
  }
`);

export const CreateZoneMutation = graphql(`
  mutation CreateZone($input: ZoneInput!) {
    createZone(input: $input) {
      zone { id name kind }
      errors { code message field }
    }
  }
`);

export const CreateSurveyCodeMutation = graphql(`
  mutation CreateSurveyCode($storeId: ID!) {
    createSurveyCode(storeId: $storeId) {
      surveyCode { id code }
      errors { code message field }
    }
  }
`);

export const DashboardQuery = graphql(`
  query Dashboard($storeId: ID!, $scope: InsightScopeInput!, $from: Date!, $to: Date!, $language: String) {
    store(id: $storeId) { id name zones { id name } }
    insights(scope: $scope, period: { from: $from, to: $to }, language: $language) {
      n
      nFlagged
      periodFrom
      periodTo
      optimise {
        rank goal quadrant target targetBasis levers
        uplift { value low high n sufficient note }
      }
      nps { value low high n promoters passives detractors sufficient note }
      profile {
        n sufficient note
        items { goal fulfilment { value low high n sufficient } conviction { value low high n sufficient } }
      }
      drivers { n sufficient basis note drivers { goal importance low high indistinguishableFromNone } }
      map { goal importance performance quadrant }
      models { modelId key sufficient note figures }
      trends { weekly { start n nps note } }
      storeChanges {
        changeId date description windowDays
        outcome { effect low high treatedChange controlChange n sufficient note }
      }
    }
  }
`);

export const FollowUpQuery = graphql(`
  query FollowUp($id: ID!) {
    followUp(id: $id) {
      id status title reason createdAt acknowledgedAt resolvedAt
      store { id name }
      notes { id text createdAt authorName }
      response { id outcome comment consentContact }
      replies { id subject text createdAt }
    }
  }
`);

export const ReopenFollowUpMutation = graphql(`
  mutation ReopenFollowUp($id: ID!) {
    reopenFollowUp(id: $id) { followUp { id status } errors { code message field } }
  }
`);

export const AddFollowUpNoteMutation = graphql(`
  mutation AddFollowUpNote($id: ID!, $text: String!) {
    addFollowUpNote(id: $id, text: $text) { note { id } errors { code message field } }
  }
`);

export const ReplyToShopperMutation = graphql(`
  mutation ReplyToShopper($responseId: ID!, $text: String!, $subject: String, $followUpId: ID) {
    replyToShopper(responseId: $responseId, text: $text, subject: $subject, followUpId: $followUpId) {
      reply { id } errors { code message field }
    }
  }
`);

export const AcknowledgeFollowUpMutation = graphql(`
  mutation AcknowledgeFollowUp($id: ID!) {
    acknowledgeFollowUp(id: $id) { followUp { id status acknowledgedAt } errors { code message field } }
  }
`);

export const ResolveFollowUpMutation = graphql(`
  mutation ResolveFollowUp($id: ID!) {
    resolveFollowUp(id: $id) { followUp { id status resolvedAt } errors { code message field } }
  }
`);
