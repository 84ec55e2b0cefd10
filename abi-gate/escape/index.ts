/** Escaping input strings for where they are shown: one module per destination. */
export { visible, visibleBytes, shortenMiddle, displayLength, type VisibleOptions } from './terminal.js';
export { workflowMessage, workflowProperty } from './github.js';
export { markdownText } from './markdown.js';
export { xmlAttribute, xmlText } from './xml.js';
