import { Brain, BrainError } from './brain';

/**
 * One brain per model id: the local model server answers every model of the stack's `--model`
 * list (docs/LOCAL.md §3), each request by the brain of the model id in its path. An id it does
 * not serve is refused as Bedrock refuses an unknown model.
 */
export function routedBrain(routes: ReadonlyMap<string, Brain>): Brain {
  return {
    async converse(request, signal) {
      const brain = routes.get(request.modelId);
      if (!brain) throw new BrainError('resourceNotFoundException', `The local stack serves no model "${request.modelId}" (it serves ${[...routes.keys()].join(', ')}).`);
      return brain.converse(request, signal);
    },
  };
}
