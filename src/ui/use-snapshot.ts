// What the screen shows of the latest snapshot the core published. A publication (at most
// 30 a second, never per event) redraws the screen only when what it shows would change:
// Ink lays out and rasterizes the whole frame on every render (about 2 ms for 120x32 with
// patches/ink+6.8.0.patch, 8 ms and 8 MB of garbage without), and most publications on a
// quiet host (the model's tick, once a second) change nothing on screen.
import { useEffect, useReducer, useRef } from 'react';

import type { ModelSnapshot } from '../core/model.ts';
import type { UiController } from './controller.ts';

interface Shown<Content> {
  readonly show: (snapshot: ModelSnapshot) => Content;
  readonly snapshot: ModelSnapshot;
  readonly content: Content;
}

/**
 * show(snapshot) is what the screen draws of a snapshot (a new function whenever the screen's
 * state changes); same, a function that does not change, tells whether two contents draw
 * the same. Every render shows the latest snapshot, so one a publication did not redraw for
 * is on screen at the next key.
 */
export function useSnapshot<Content>(
  controller: UiController,
  show: (snapshot: ModelSnapshot) => Content,
  same: (one: Content, other: Content) => boolean,
): Content {
  const [, redraw] = useReducer((renders: number) => renders + 1, 0);
  // The last content computed, for a publication or a render: a redrawing publication's is
  // drawn without being computed again.
  const computed = useRef<Shown<Content> | undefined>(undefined);
  const drawnRef = useRef<Shown<Content> | undefined>(undefined);
  const showOf = (current: (snapshot: ModelSnapshot) => Content, snapshot: ModelSnapshot): Shown<Content> => {
    const last = computed.current;
    if (last?.show === current && last.snapshot === snapshot) return last;
    computed.current = { show: current, snapshot, content: current(snapshot) };
    return computed.current;
  };
  const shown = showOf(show, controller.current());
  useEffect(() => {
    drawnRef.current = shown;
  });
  useEffect(() => {
    const onPublish = (snapshot: ModelSnapshot) => {
      const drawn = drawnRef.current;
      if (drawn === undefined || drawn.snapshot === snapshot) return;
      if (!same(showOf(drawn.show, snapshot).content, drawn.content)) redraw();
    };
    // One may have been published between the first render and this subscription.
    onPublish(controller.current());
    return controller.subscribe(onPublish);
    // show is read through drawnRef: the one of the screen's state when it was last drawn.
  }, [controller, same]);
  return shown.content;
}
