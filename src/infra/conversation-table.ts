import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { WildcardReason } from './nag';
import { TABLE_SCHEMA } from '../contract/table-schema';

/** Settings of the table the construct creates (see `ChatbotTableOptions` in the public API). */
export interface ConversationTableProps {
  readonly existingTable?: dynamodb.ITable;
  readonly encryptionKey?: kms.IKey;
  readonly tableName?: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The one conversation table: on-demand, point-in-time recovery on, TTL for expiring part sets
 * and rate-limit counters, and the `byUpdated` index for a user's conversation list. Items are
 * one per message (the item layout belongs to core/store).
 */
export class ConversationTable extends Construct {
  /**
   * The wildcards of the KMS grant a customer-managed table key brings (aws-cdk-lib's
   * `grantEncryptDecrypt`): action families on that one key, never on `*`.
   */
  public static readonly KMS_WILDCARDS: WildcardReason = {
    pattern: /^Action::kms:(ReEncrypt|GenerateDataKey)\*$/,
    reason: 'DynamoDB encrypts the table with the customer-managed key given in tableOptions; the grant names only that key, and the ReEncrypt*/GenerateDataKey* families are what aws-cdk-lib grants for encrypt/decrypt use of it.',
  };

  /** The table the handlers use. */
  public readonly table: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: ConversationTableProps) {
    super(scope, id);
    if (props.existingTable) {
      this.table = props.existingTable;
      return;
    }
    const table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.encryptionKey,
      // A retained table must also survive an accidental `DeleteTable` outside CloudFormation.
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
    table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.updatedIndex.name,
      partitionKey: { name: TABLE_SCHEMA.updatedIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.updatedIndex.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table = table;
  }

  /**
   * Item reads and writes on the table and its `byUpdated` index, and nothing else: no scans,
   * no streams, no table management. Named ARNs only (no `index/*`).
   */
  public grantData(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ITEM_ACTIONS,
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${TABLE_SCHEMA.updatedIndex.name}`],
    });
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
  }
}

/**
 * What the handlers send (core/store, parts, rate-limit): single-item reads and conditional
 * writes, queries, BatchWrite for a turn's items and for deleting a conversation, and BatchGet
 * for a conversation tree's ancestors (docs/TABLE.md §8). No transactions.
 */
const ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
