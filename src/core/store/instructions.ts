import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './item-keys';
import { PK, SK, Table } from './table';
import { iso } from '../domain/ids';
import type { InstructionsStore, StoredInstructions } from '../ports/store';

/** Per-user instructions: one item a user (`U#{user}` / `S#instructions`), absent when empty. */
export class DynamoInstructions implements InstructionsStore {
  constructor(private readonly table: Table) {}

  private key(user: string) {
    return { [PK]: K.userPk(user), [SK]: K.INSTRUCTIONS_SK };
  }

  public async get(user: string): Promise<StoredInstructions | undefined> {
    const item = await this.table.get(this.key(user));
    return item ? { text: item.text ?? '', updatedAt: item.updatedAt } : undefined;
  }

  public async put(user: string, text: string, now: number): Promise<StoredInstructions> {
    const stored = { text, updatedAt: iso(now) };
    if (text === '') await this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: this.key(user) }));
    else await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item: { ...this.key(user), ...stored } }));
    return stored;
  }
}
