// The operations of the Team page and of the invitation link: members (change role, remove, log out everywhere),
// invitations, invite, revoke, accept.
import { graphql } from '../gql';

export const TeamQuery = graphql(`
  query Team {
    members(first: 100) { edges { node { id email name role stores { id name } } } }
    invitations(first: 100) { edges { node { id email role status createdAt expiresAt stores { id name } } } }
    stores(first: 100) { edges { node { id name } } }
  }
`);

export const InviteMemberMutation = graphql(`
  mutation InviteMember($email: String!, $role: Role!, $storeIds: [ID!]) {
    inviteMember(email: $email, role: $role, storeIds: $storeIds) {
      invitation { id email role status }
      errors { code message field }
    }
  }
`);

export const RevokeInvitationMutation = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) { invitation { id status revokedAt } errors { code message field } }
  }
`);

export const AcceptInvitationMutation = graphql(`
  mutation AcceptInvitation($token: String!, $password: String, $name: String) {
    acceptInvitation(token: $token, password: $password, name: $name) {
      me { id email }
      tenant { id slug name }
      role
      errors { code message field }
    }
  }
`);

export const UpdateMemberMutation = graphql(`
  mutation UpdateMember($id: ID!, $role: Role!, $storeIds: [ID!]) {
    updateMember(id: $id, role: $role, storeIds: $storeIds) {
      member { id role stores { id name } }
      errors { code message field }
    }
  }
`);

export const RemoveMemberMutation = graphql(`
  mutation RemoveMember($id: ID!) {
    removeMember(id: $id) { deletedId errors { code message field } }
  }
`);

export const EndMemberSessionsMutation = graphql(`
  mutation EndMemberSessions($memberId: ID!) {
    endMemberSessions(memberId: $memberId) { ended errors { code message field } }
  }
`);
