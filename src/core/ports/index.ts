export * from './clock';
export * from './model';
export * from './outbox';
export * from './store';
export * from './telemetry';
