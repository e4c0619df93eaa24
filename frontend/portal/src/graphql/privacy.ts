// The operations of the privacy page: the retention, a shopper's data by receipt code and its erasure, the export
// of everything held for the tenant, and the deletion of the tenant.
import { graphql } from '../gql';

export const RetentionQuery = graphql(`
  query Retention {
    retention { months mode cutoff due }
  }
`);

export const SetRetentionMutation = graphql(`
  mutation SetRetention($months: Int, $mode: RetentionMode!) {
    setRetention(months: $months, mode: $mode) {
      retention { months mode cutoff due }
      errors { code message field }
    }
  }
`);

export const ShopperDataQuery = graphql(`
  query ShopperData($receiptCode: String!) {
    shopperData(receiptCode: $receiptCode) {
      receiptCode store zone channel language submittedAt outcome comment contactEmail
      answers { statementId }
    }
  }
`);

export const EraseShopperResponseMutation = graphql(`
  mutation EraseShopperResponse($receiptCode: String!) {
    eraseShopperResponse(receiptCode: $receiptCode) { erasedReceiptCode errors { code message field } }
  }
`);

export const StartTenantExportMutation = graphql(`
  mutation StartTenantExport {
    startTenantExport { export { id status progress rowsDone rowsTotal downloadUrl } errors { code message field } }
  }
`);

export const TenantExportQuery = graphql(`
  query TenantExport($id: ID!) {
    export(id: $id) { id status progress rowsDone rowsTotal downloadUrl }
  }
`);

export const DeleteTenantMutation = graphql(`
  mutation DeleteTenant($confirmSlug: String!) {
    deleteTenant(confirmSlug: $confirmSlug) { deletedSlug errors { code message field } }
  }
`);
