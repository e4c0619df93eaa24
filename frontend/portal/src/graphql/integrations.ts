// The operations of the Integrations page: plugin settings (Shopify, Vipps MobilePay), single sign-on and the
// webhook endpoints for integrators with their delivery log.
import { graphql } from '../gql';

export const IntegrationPluginsQuery = graphql(`
  query IntegrationPlugins {
    plugins { name enabled alwaysOnReason config secretFields }
    stores(first: 100) { edges { node { id name slug } } }
    shopifyShops { shop connected tokenFingerprint installedAt uninstalledAt }
  }
`);

export const EnablePluginMutation = graphql(`
  mutation EnablePlugin($name: String!, $config: JSON) {
    enablePlugin(name: $name, config: $config) {
      plugin { name enabled config secretFields }
      errors { code message field }
    }
  }
`);

export const DisablePluginMutation = graphql(`
  mutation DisablePlugin($name: String!) {
    disablePlugin(name: $name) { plugin { name enabled config secretFields } errors { code message field } }
  }
`);

export const SsoConfigurationQuery = graphql(`
  query SsoConfiguration {
    ssoConfiguration {
      issuer clientId clientSecretFingerprint allowedEmailDomains defaultRole ssoOnly loginUrl redirectUri updatedAt
    }
  }
`);

export const ConfigureSsoMutation = graphql(`
  mutation ConfigureSso($input: ConfigureSsoInput!) {
    configureSso(input: $input) {
      ssoConfiguration {
        issuer clientId clientSecretFingerprint allowedEmailDomains defaultRole ssoOnly loginUrl redirectUri updatedAt
      }
      errors { code message field }
    }
  }
`);

export const DisableSsoMutation = graphql(`
  mutation DisableSso {
    disableSso { ssoConfiguration { issuer } errors { code message field } }
  }
`);

export const WebhookEndpointsQuery = graphql(`
  query WebhookEndpoints {
    webhookEndpoints { id url description events enabled secretFingerprint oldSecretSignsUntil createdAt }
  }
`);

export const CreateWebhookEndpointMutation = graphql(`
  mutation CreateWebhookEndpoint($input: WebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      endpoint { id url description events enabled secretFingerprint }
      secret
      errors { code message field }
    }
  }
`);

export const UpdateWebhookEndpointMutation = graphql(`
  mutation UpdateWebhookEndpoint($input: WebhookEndpointUpdate!) {
    updateWebhookEndpoint(input: $input) { endpoint { id enabled } errors { code message field } }
  }
`);

export const RotateWebhookSecretMutation = graphql(`
  mutation RotateWebhookSecret($id: ID!, $keepOldHours: Int!) {
    rotateWebhookSecret(id: $id, keepOldHours: $keepOldHours) {
      endpoint { id secretFingerprint oldSecretSignsUntil }
      secret
      errors { code message field }
    }
  }
`);

export const DeleteWebhookEndpointMutation = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id) { errors { code message field } }
  }
`);

export const WebhookDeliveriesQuery = graphql(`
  query WebhookDeliveries($endpoint: ID!) {
    webhookDeliveries(endpoint: $endpoint, first: 50) {
      id eventId eventType status attempts lastResponseCode lastError nextRetryAt deliveredAt createdAt
      attemptLog { number at responseCode responseExcerpt error succeeded }
    }
  }
`);

export const RedeliverWebhookMutation = graphql(`
  mutation RedeliverWebhook($delivery: ID!) {
    redeliverWebhook(delivery: $delivery) { delivery { id status attempts } errors { code message field } }
  }
`);
