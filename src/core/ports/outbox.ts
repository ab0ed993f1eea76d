import type { ServerFrame } from '../../contract/protocol';

/** Where frames for one connection go; `gone` once the client left. */
export interface Outbox {
  post(frame: ServerFrame): Promise<'ok' | 'gone'>;
}
