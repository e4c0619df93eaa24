// The operations of the security page's two-step login: its status, enrolling an authenticator app, switching it off.
import { graphql } from '../gql';

export const TwoStepQuery = graphql(`
  query TwoStep {
    me { id twoStep { enabled recoveryCodesLeft } }
  }
`);

export const StartTotpEnrolmentMutation = graphql(`
  mutation StartTotpEnrolment($password: String!) {
    startTotpEnrolment(password: $password) {
      enrolment { uri qrSvg manualKey }
      errors { code message field }
    }
  }
`);

export const ConfirmTotpEnrolmentMutation = graphql(`
  mutation ConfirmTotpEnrolment($code: String!) {
    confirmTotpEnrolment(code: $code) { recoveryCodes errors { code message field } }
  }
`);

export const DisableTotpMutation = graphql(`
  mutation DisableTotp($password: String!, $code: String!) {
    disableTotp(password: $password, code: $code) { ok errors { code message field } }
  }
`);

export const TwoStepRuleQuery = graphql(`
  query TwoStepRule {
    tenant { id requireTwoStep }
  }
`);

export const SetRequireTwoStepMutation = graphql(`
  mutation SetRequireTwoStep($required: Boolean!) {
    setRequireTwoStep(required: $required) { tenant { id requireTwoStep } errors { code message field } }
  }
`);
