// A mistake in the configuration (a JSON file, a .repo file or the flags): one line naming the place and the mistake.
export class ConfigError extends Error { override name = 'ConfigError' }
