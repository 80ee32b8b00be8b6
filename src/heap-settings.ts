// Imported first by cli.tsx, so it runs before anything else allocates. V8 grows the young
// generation (up to 32 MB here) as objects that survive collections add up, and shrinks it
// only when allocation slows down: under a steady stream of events clawtop's RSS swung
// between 90 and 140 MB with the same tables. Keeping the young generation at its initial
// size keeps RSS flat, for well under 1% of a core at 100k events/s (docs/BENCHMARKS.md).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
