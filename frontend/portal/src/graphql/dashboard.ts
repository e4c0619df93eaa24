// The dashboard's operations beside its main query (operations.ts): the chain's stores side by side, the store's
// logged changes and logging a new one.
import { graphql } from '../gql';

export const StoreComparisonQuery = graphql(`
  query StoreComparison($from: Date!, $to: Date!, $language: String) {
    insights(scope: { kind: CHAIN }, period: { from: $from, to: $to }, language: $language) {
      n
      profile { items { goal fulfilment { value } } }
      stores { key name n nps { value low high n sufficient } goals { goal value n } }
    }
  }
`);

export const StoreChangesQuery = graphql(`
  query StoreChanges($storeId: ID!) {
    storeChanges(storeId: $storeId) { id date description createdAt zone { id name } }
  }
`);

export const LogStoreChangeMutation = graphql(`
  mutation LogStoreChange($input: LogStoreChangeInput!) {
    logStoreChange(input: $input) {
      storeChange { id date description createdAt zone { id name } }
      errors { code message field }
    }
  }
`);
