// The operations of the Channels page: a store's QR codes, NFC tags and kiosk tablets, and shopper invitations.
import { graphql } from '../gql';

export const ChannelStoresQuery = graphql(`
  query ChannelStores {
    stores(first: 100) { edges { node { id name zones { id name } } } }
  }
`);

export const ChannelsQuery = graphql(`
  query Channels($storeId: ID!) {
    surveyCodes(storeId: $storeId, includeRetired: false) {
      id code url zoneId campaign scans createdAt svgUrl pngUrl posterA4Url posterA5Url
    }
    nfcTags(storeId: $storeId) { id zoneId label sun lastSeenAt createdAt url ndefRecord }
    kiosks(storeId: $storeId) { id zoneId label createdAt lastSeenAt }
  }
`);

export const CreateChannelCodeMutation = graphql(`
  mutation CreateChannelCode($storeId: ID!, $zoneId: ID, $campaign: String) {
    createSurveyCode(storeId: $storeId, zoneId: $zoneId, campaign: $campaign) {
      surveyCode { id code }
      errors { code message field }
    }
  }
`);

export const RetireSurveyCodeMutation = graphql(`
  mutation RetireSurveyCode($id: ID!) {
    retireSurveyCode(id: $id) { surveyCode { id retiredAt } errors { code message field } }
  }
`);

export const RegisterNfcTagMutation = graphql(`
  mutation RegisterNfcTag($storeId: ID!, $label: String!, $zoneId: ID, $sunKeys: SunKeysInput) {
    registerNfcTag(storeId: $storeId, label: $label, zoneId: $zoneId, sunKeys: $sunKeys) {
      tag { id label sun url ndefRecord piccDataOffset macOffset }
      errors { code message field }
    }
  }
`);

export const RetireNfcTagMutation = graphql(`
  mutation RetireNfcTag($id: ID!) {
    retireNfcTag(id: $id) { tag { id retired } errors { code message field } }
  }
`);

export const RegisterKioskMutation = graphql(`
  mutation RegisterKiosk($storeId: ID!, $label: String!, $zoneId: ID) {
    registerKiosk(storeId: $storeId, label: $label, zoneId: $zoneId) {
      kiosk { id label }
      token
      url
      errors { code message field }
    }
  }
`);

export const RetireKioskMutation = graphql(`
  mutation RetireKiosk($id: ID!) {
    retireKiosk(id: $id) { kiosk { id retired } errors { code message field } }
  }
`);

export const InviteShoppersMutation = graphql(`
  mutation InviteShoppers($storeId: ID!, $recipients: [String!]!, $zoneId: ID, $language: String) {
    inviteShoppers(storeId: $storeId, recipients: $recipients, zoneId: $zoneId, language: $language) {
      sent
      suppressed
      refused { address code }
      errors { code message field }
    }
  }
`);
