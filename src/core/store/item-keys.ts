/**
 * The table's item layout (the DynamoDB store's own keys, not the client's storage keys): every
 * key the store writes is made here, so the layout can be read in one place (the README's runtime
 * section has the table).
 *
 * - conversation  pk `U#{user}`            sk `C#{conversationId}`   (+ gsi1pk `U#{user}`, gsi1sk `{updatedAt}#{conversationId}`)
 * - message       pk `C#{user}#{conv}`     sk `M#{t:13 digits}#{MessageKind}#{messageId}`
 * - claim         pk `U#{user}`            sk `I#{messageId}`        idempotency of sendMessage (TTL)
 * - reply pointer pk `U#{user}`            sk `R#{replyId}`          where the reply is + stop flag (TTL)
 * - part          pk `U#{user}`            sk `P#{messageId}#{index:2 digits}` and `P#{messageId}#done` (TTL)
 * - message index pk `C#{user}#{conv}`    sk `X#{messageId}`        `at`: the message's sort key (tree messages; docs/TABLE.md §8)
 * - rate counter  pk `U#{user}`            sk `L#{minute}`           messages (+ the ids holding tokens) (TTL)
 * - part bytes    pk `U#{user}`            sk `L#{minute}#parts`     bytes of parts stored (+ ids answered RATE_LIMITED) (TTL)
 * - instructions  pk `U#{user}`            sk `S#instructions`       the user's standing instructions (absent when none)
 */

/** Partition of a user's own small items (conversations, claims, pointers, parts, counters). */
export const userPk = (user: string) => `U#${user}`;
export const conversationSk = (conversationId: string) => `C#${conversationId}`;
/** Partition of one conversation's messages: the user is part of it, so ids of others never match. */
export const messagesPk = (user: string, conversationId: string) => `C#${user}#${conversationId}`;
/** The digit after a turn's time: its user message sorts before its reply. */
export const MessageKind = { user: 0, reply: 1 } as const;
export type MessageKind = keyof typeof MessageKind;
export const MESSAGE_PREFIX = 'M#';
export const messageSk = (t: number, kind: MessageKind, id: string) => `${MESSAGE_PREFIX}${String(t).padStart(13, '0')}#${MessageKind[kind]}#${id}`;
/** Above every message sort key of a partition (and below its index items). */
export const MESSAGES_END = 'M$';
/** The index item that finds a tree message by id. */
export const messageIndexSk = (messageId: string) => `X#${messageId}`;
/** The turn time `t` a message sort key was made with. */
export const messageTime = (sk: string) => Number(sk.slice(MESSAGE_PREFIX.length, MESSAGE_PREFIX.length + 13));
export const claimSk = (messageId: string) => `I#${messageId}`;
export const replyPointerSk = (replyId: string) => `R#${replyId}`;
export const partPrefix = (messageId: string) => `P#${messageId}#`;
export const partSk = (messageId: string, index: number) => `${partPrefix(messageId)}${String(index).padStart(2, '0')}`;
export const partsDoneSk = (messageId: string) => `${partPrefix(messageId)}done`;
export const rateSk = (minute: number) => `L#${minute}`;
export const partBytesSk = (minute: number) => `${rateSk(minute)}#parts`;
export const INSTRUCTIONS_SK = 'S#instructions';
export const updatedSortKey = (updatedAt: string, conversationId: string) => `${updatedAt}#${conversationId}`;
// - attachment      pk `U#{user}`  sk `A#{attachmentId}`              name, type, size, status, dims (TTL while unused)
// - attachment link pk `U#{user}`  sk `AC#{conversationId}#{attachmentId}`  the attachments a conversation used
// - daily uploads   pk `U#{user}`  sk `L#d{day}#uploads`             slots `n` and declared bytes `b` of a UTC day (TTL)
export const attachmentSk = (attachmentId: string) => `A#${attachmentId}`;
export const conversationAttachmentPrefix = (conversationId: string) => `AC#${conversationId}#`;
export const conversationAttachmentSk = (conversationId: string, attachmentId: string) => `${conversationAttachmentPrefix(conversationId)}${attachmentId}`;
export const dailyUploadsSk = (day: number) => `L#d${day}#uploads`;
