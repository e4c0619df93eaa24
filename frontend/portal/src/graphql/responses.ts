// The operations of the Responses page (the filtered list and its CSV export) and of the follow-up inbox.
import { graphql } from '../gql';

export const ResponsesQuery = graphql(`
  query Responses($filter: ResponseFilterInput, $first: Int, $after: String) {
    responses(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          id receiptCode submittedAt channel language outcome comment qualityFlags verifiedVisit
          store { id name }
          zone { id name }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const StartResponseExportMutation = graphql(`
  mutation StartResponseExport($filter: ResponseFilterInput) {
    startExport(format: CSV, filter: $filter) {
      export { id status progress rowsDone rowsTotal downloadUrl }
      errors { code message field }
    }
  }
`);

export const ResponseExportQuery = graphql(`
  query ResponseExport($id: ID!) {
    export(id: $id) { id status progress rowsDone rowsTotal downloadUrl }
  }
`);

export const FollowUpsQuery = graphql(`
  query FollowUps($status: [FollowUpStatus!], $first: Int, $after: String) {
    followUps(status: $status, first: $first, after: $after) {
      edges {
        cursor
        node { id status title createdAt updatedAt store { id name } assignee { id name email } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
