// Questions on the terminal before the chat starts: a visible one (your name) and a hidden one (passwords).
import * as readline from 'node:readline';

/** Asks a question on the terminal; null when stdin ends (Ctrl-D) before an answer. */
export function ask(question: string): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    let answered = false;
    rl.on('close', () => {
      if (!answered) {
        process.stdout.write('\n');
        resolve(null);
      }
    });
    rl.on('SIGINT', () => rl.close());
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
  });
}

/** Asks for a secret without echoing it; null on Ctrl-C or Ctrl-D. Needs a TTY on stdin. */
export function askHidden(question: string): Promise<string | null> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stdout.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    let secret = '';
    const done = (value: string | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
      resolve(value);
    };
    const onData = (chunk: string) => {
      if (chunk.startsWith('\u001b')) return; // arrow and function keys
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(secret);
        if (ch === '\u0003' || (ch === '\u0004' && secret === '')) return done(null);
        if (ch === '\u007f' || ch === '\b') secret = [...secret].slice(0, -1).join('');
        else if (ch === '\u0015')
          secret = ''; // Ctrl-U
        else if (ch >= ' ') secret += ch;
      }
    };
    stdin.on('data', onData);
  });
}
