// Builds the static web client into assets/client. Work in progress: filled in by the client issue.
import * as fs from 'fs';
import * as path from 'path';

const out = path.join(__dirname, '..', 'assets', 'client');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'index.html'), '<!doctype html><title>cdk-streaming-chatbot</title>\n');
