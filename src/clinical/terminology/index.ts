/** Terminology tables and helpers, built once at module load. */
export * from './systems';
export * from './imatinib';
export * from './interacting-drugs';
export * from './diagnoses';
export * from './genomics';
