export { renderHuman, summarise, checkMark, type HumanOptions } from './human.js';
export { renderJson } from './json.js';
export { renderJunit, writeJunit } from './junit.js';
export { emitGithub, renderAnnotations, renderStepSummary, type GithubOutput } from './github.js';
export { writeFileAtomic } from './atomic-write.js';
