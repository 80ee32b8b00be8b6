// The latest snapshot the core published: the screen re-renders when the core publishes
// (at most 30 times a second), never per event.
import { useEffect, useState } from 'react';

import type { ModelSnapshot } from '../core/model.ts';
import type { UiController } from './controller.ts';

export function useSnapshot(controller: UiController): ModelSnapshot {
  const [snapshot, setSnapshot] = useState(() => controller.current());
  useEffect(() => {
    // One may have been published between the first render and this subscription.
    setSnapshot(controller.current());
    return controller.subscribe(setSnapshot);
  }, [controller]);
  return snapshot;
}
