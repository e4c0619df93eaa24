// The operations of the survey editor (/portal/survey) and the onboarding (/portal/welcome).
import { graphql } from '../gql';

export const SurveyEditorQuery = graphql(`
  query SurveyEditor {
    survey {
      id
      activeVersion {
        id number
        statements { id goal }
        warmups { id }
        questions { id }
      }
    }
    statementBank { id goal polarity warmup builtin texts { language text } }
    stores(first: 100) { edges { node { id name slug defaultLanguage } } }
  }
`);

export const ChooseSurveyStatementsMutation = graphql(`
  mutation ChooseSurveyStatements($statementIds: [String!]!) {
    chooseSurveyStatements(statementIds: $statementIds) {
      version { id number statements { id goal } }
      errors { code message field }
    }
  }
`);

export const ChooseSurveyGoalsMutation = graphql(`
  mutation ChooseSurveyGoals($goals: [String!]!, $perGoal: Int!) {
    chooseSurveyGoals(goals: $goals, perGoal: $perGoal) {
      version { id number statements { id goal } }
      errors { code message field }
    }
  }
`);

export const AddSurveyStatementMutation = graphql(`
  mutation AddSurveyStatement($input: SurveyStatementInput!) {
    addSurveyStatement(input: $input) {
      statement { id goal polarity warmup builtin texts { language text } }
      errors { code message field }
    }
  }
`);

export const SetStoreLanguageMutation = graphql(`
  mutation SetStoreLanguage($id: ID!, $language: String!) {
    updateStore(input: { id: $id, defaultLanguage: $language }) {
      store { id defaultLanguage }
      errors { code message field }
    }
  }
`);

export const WelcomeStoresQuery = graphql(`
  query WelcomeStores {
    stores(first: 100) { edges { node { id name slug defaultLanguage zones { id name } } } }
  }
`);

export const WelcomeChannelsQuery = graphql(`
  query WelcomeChannels($storeId: ID!) {
    surveyCodes(storeId: $storeId, includeRetired: false) {
      id code url zoneId svgUrl pngUrl posterA4Url posterA5Url
    }
    nfcTags(storeId: $storeId) { id label url ndefRecord }
  }
`);

export const WelcomeNfcTagMutation = graphql(`
  mutation WelcomeNfcTag($storeId: ID!, $label: String!) {
    registerNfcTag(storeId: $storeId, label: $label) {
      tag { id label url ndefRecord }
      errors { code message field }
    }
  }
`);
