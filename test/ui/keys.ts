// Keys as a terminal sends them, named for the tests that type them.
export const arrowUp = '\u001B[A';
export const arrowDown = '\u001B[B';
export const pageUp = '\u001B[5~';
export const pageDown = '\u001B[6~';
export const home = '\u001B[H';
export const end = '\u001B[F';
export const tab = '\t';
export const shiftTab = '\u001B[Z';
export const enter = '\r';
export const escape = '\u001B';
/** What the Backspace key sends on most terminals (DEL). */
export const backspace = '\u007F';
/** The Delete key. */
export const deleteKey = '\u001B[3~';
export const ctrlC = '\u0003';
export const ctrlL = '\u000C';
