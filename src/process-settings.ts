// Imported first by cli.tsx, so it runs before anything else allocates or loads React.
import { setFlagsFromString } from 'node:v8';

// V8 grows the young generation (up to 32 MB here) as objects that survive collections add
// up, and shrinks it only when allocation slows down: under a steady stream of events
// clawtop's RSS swung between 90 and 140 MB with the same tables. Keeping the young
// generation at its initial size keeps RSS flat, for well under 1% of a core at 100k
// events/s (docs/BENCHMARKS.md).
setFlagsFromString('--semi-space-growth-factor=1');

// React's development build, the default without NODE_ENV, records a performance.measure()
// per component render that Node never lets go: the screen grew by hundreds of MB and spent
// a third of its CPU on it. Every module that loads React must see the same NODE_ENV.
process.env.NODE_ENV ??= 'production';
