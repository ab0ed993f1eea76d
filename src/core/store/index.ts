import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoClaims } from './claims';
import { DynamoConversations } from './conversations';
import { DynamoInstructions } from './instructions';
import { DynamoMessages } from './messages';
import { DynamoParts } from './parts';
import { DynamoRateCounters } from './rate-limit';
import { Table } from './table';
import { DynamoTree } from './tree';
import { realClock } from '../adapters/clock';
import type { Clock } from '../ports/clock';
import type { Store } from '../ports/store';

/**
 * The store on one DynamoDB table (layout: item-keys.ts): one module per kind of item, each the
 * only writer and reader of its items; every read a bounded query. `clock` paces batch retries.
 */
export class ConversationStore implements Store {
  public readonly conversations: DynamoConversations;
  public readonly messages: DynamoMessages;
  public readonly claims: DynamoClaims;
  public readonly parts: DynamoParts;
  public readonly rates: DynamoRateCounters;
  public readonly tree: DynamoTree;
  public readonly instructions: DynamoInstructions;

  constructor(doc: DynamoDBDocumentClient, tableName: string, clock: Clock = realClock) {
    const table = new Table(doc, tableName, clock);
    this.conversations = new DynamoConversations(table);
    this.messages = new DynamoMessages(table);
    this.claims = new DynamoClaims(table);
    this.parts = new DynamoParts(table);
    this.rates = new DynamoRateCounters(table);
    this.tree = new DynamoTree(table);
    this.instructions = new DynamoInstructions(table);
  }
}
