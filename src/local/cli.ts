// The cdk-streaming-chatbot command. Work in progress: filled in by the local-stack issue.
console.error('cdk-streaming-chatbot: the local stack is not implemented yet');
process.exit(1);
