// The public API: the construct and its props structs only. Everything under infra/, handlers/,
// core/, client/ and local/ is internal and never exported here.
export { StreamingChatbot } from './streaming-chatbot';
export * from './streaming-chatbot-props';
