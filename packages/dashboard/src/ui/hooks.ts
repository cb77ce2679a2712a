/** Data loading: a fetch that re-runs when its key changes, and live polling only while the page is visible. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  reload: () => Promise<void>;
}

/**
 * Loads `load()` for `key`; with `liveMs`, loads again every `liveMs`
 * (at least one second apart) while `live` holds and the tab is visible.
 */
export function useLoad<T>(key: string, load: () => Promise<T>, options: { liveMs?: number; live?: (data: T | undefined) => boolean } = {}): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const current = useRef(key);
  current.current = key;
  const loader = useRef(load);
  loader.current = load;
  const latest = useRef<T | undefined>(undefined);

  const reload = useCallback(async () => {
    const forKey = current.current;
    try {
      const value = await loader.current();
      if (current.current !== forKey) return;
      latest.current = value;
      setData(value);
      setError(undefined);
    } catch (e) {
      if (current.current === forKey) setError(e as Error);
    }
  }, []);

  useEffect(() => {
    latest.current = undefined;
    setData(undefined);
    void reload();
    if (!options.liveMs) return;
    const every = Math.max(1000, options.liveMs);
    let timer: number | undefined;
    const tick = async () => {
      if (document.visibilityState === 'visible' && (options.live?.(latest.current) ?? true)) await reload();
      timer = window.setTimeout(tick, every);
    };
    timer = window.setTimeout(tick, every);
    return () => window.clearTimeout(timer);
  }, [key]);

  return { data, error, reload };
}
