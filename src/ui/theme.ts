// Colors, or none: NO_COLOR (https://no-color.org) set to anything but '' turns them off.
// Inverse and bold are not colors and stay (the selection is inverse either way).
import { createContext, useContext } from 'react';

export interface Theme {
  /** An Ink color name, or undefined for the terminal's own color. */
  readonly error: string | undefined;
  readonly warning: string | undefined;
  readonly accent: string | undefined;
  readonly dim: boolean;
  readonly severity: Readonly<Record<string, string | undefined>>;
}

export const COLOR_THEME: Theme = {
  error: 'red',
  warning: 'yellow',
  accent: 'cyan',
  dim: true,
  severity: { info: undefined, low: 'cyan', medium: 'yellow', high: 'red', critical: 'magenta' },
};

export const NO_COLOR_THEME: Theme = {
  error: undefined,
  warning: undefined,
  accent: undefined,
  dim: false,
  severity: {},
};

export function themeFor(environment: NodeJS.ProcessEnv): Theme {
  const noColor = environment.NO_COLOR;
  return noColor !== undefined && noColor !== '' ? NO_COLOR_THEME : COLOR_THEME;
}

export const ThemeContext = createContext<Theme>(themeFor(process.env));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
