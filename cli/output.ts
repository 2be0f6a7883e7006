/** How the CLI writes: tables, sizes, and a progress bar on a terminal (plain lines otherwise). */

export interface Streams {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export function readableSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export interface ProgressLine {
  update(loaded: number, total: number): void;
  /** Ends the line with a closing message. */
  done(message: string): void;
  /** Leaves the line as it is (an error follows). */
  stop(): void;
}

/**
 * One file's progress: on a TTY a bar redrawn in place at most 10 times a second; otherwise
 * a plain line at every 10% (`label 30% 15 MB of 50 MB`).
 */
export function progressLine(stream: Streams['err'], label: string): ProgressLine {
  const tty = Boolean(stream.isTTY);
  let lastDraw = 0;
  let lastStep = -1;
  let drawn = false;
  const draw = (loaded: number, total: number) => {
    const fraction = total === 0 ? 1 : loaded / total;
    const percent = Math.floor(fraction * 100);
    const figures = `${String(percent).padStart(3)}% ${readableSize(loaded)} of ${readableSize(total)}`;
    if (!tty) {
      const step = Math.floor(percent / 10);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${label} ${figures}\n`);
      return;
    }
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - figures.length - 6));
    const filled = Math.round(fraction * width);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${figures}\x1b[K`);
    drawn = true;
  };
  return {
    update(loaded, total) {
      const now = Date.now();
      if (tty && loaded < total && now - lastDraw < 100) return;
      lastDraw = now;
      draw(loaded, total);
    },
    done(message) {
      stream.write(tty && drawn ? `\r${message}\x1b[K\n` : `${message}\n`);
    },
    stop() {
      if (tty && drawn) stream.write('\n');
    },
  };
}
