// The operations of the billing page: the tenant's plan, state, limits and usage, and the two Stripe-hosted pages
// (a checkout for a paid plan, the billing portal) the person is sent to.
import { graphql } from '../gql';

export const BillingQuery = graphql(`
  query Billing {
    billing {
      configured state stripeStatus currentPeriodEnd pilotEndsAt afterPilot readOnly readOnlyReason notice
      overQuota overQuotaResponses readOnlyStoreIds
      plan { key name stores monthlyResponses users }
      usage { stores monthlyResponses seats }
      plans { key name description pricePerStore currency trialDays stores monthlyResponses users }
    }
  }
`);

export const StartCheckoutMutation = graphql(`
  mutation StartCheckout($plan: String!) {
    startCheckout(plan: $plan) { url errors { code message field } }
  }
`);

export const OpenBillingPortalMutation = graphql(`
  mutation OpenBillingPortal {
    openBillingPortal { url errors { code message field } }
  }
`);
