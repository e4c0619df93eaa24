// The operations of the API tokens page: list, create (the secret comes back this once) and revoke.
import { graphql } from '../gql';

export const ApiTokensQuery = graphql(`
  query ApiTokens {
    apiTokens(first: 100) {
      edges { node { id name prefix scopes createdAt expiresAt revokedAt lastUsedAt active createdBy } }
    }
  }
`);

export const CreateApiTokenMutation = graphql(`
  mutation CreateApiToken($input: ApiTokenInput!) {
    createApiToken(input: $input) {
      token { id name prefix scopes createdAt expiresAt active }
      secret
      errors { code message field }
    }
  }
`);

export const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(id: $id) { token { id active revokedAt } errors { code message field } }
  }
`);
