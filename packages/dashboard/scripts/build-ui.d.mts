export function buildUi(): Promise<{ script: string; styles: string; scriptBytes: number; scriptGzipBytes: number; stylesGzipBytes: number }>;
