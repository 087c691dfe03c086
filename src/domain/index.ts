// The pure domain core: rules over plain data, no I/O. Services import from here.
export * from './errors.js';
export * from './e164.js';
export * from './lifecycle.js';
export * from './allocation.js';
export * from './platform.js';
