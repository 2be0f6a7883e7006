import type { App } from './app';
import { loadConfig, type ConsoleConfig } from './config';
import { FileDetails } from './details';
import { h, replaceChildren } from './dom';
import { FileList } from './files';
import { signInForm, storedToken, storeToken } from './sign-in';
import { Thumbnails } from './thumbnails';
import { createUploader } from './upload';
import { UploadPanel } from './uploads';

const main = h('main', { id: 'main', tabindex: '-1' });
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
const errorBox = h('div', { class: 'error-box', role: 'alert' });
const accountBar = h('div', { class: 'account' });

async function start(): Promise<void> {
  document.body.append(
    h('a', { class: 'skip-link', href: '#main' }, 'Skip to content'),
    h('header', { class: 'top' }, h('h1', {}, 'File service console'), accountBar),
    errorBox,
    main,
    h('footer', {}, status),
  );
  // A file dropped beside the drop zone must not replace the console with the file.
  for (const type of ['dragover', 'drop']) addEventListener(type, (event) => event.preventDefault());
  const config = await loadConfig();
  render(config);
}

function render(config: ConsoleConfig): void {
  clearError();
  const token = storedToken();
  if (!token) {
    replaceChildren(accountBar);
    replaceChildren(main, signInForm(config, { onSignIn: () => render(config), showError, announce }));
    return;
  }
  const session = { apiUrl: config.apiUrl, token };
  const thumbnails = new Thumbnails(session);
  const signOut = h('button', { type: 'button', onclick: () => { thumbnails.clear(); storeToken(undefined); announce('Signed out'); render(config); } }, 'Sign out');
  replaceChildren(accountBar, h('span', { class: 'api' }, `API: ${config.apiUrl}`), signOut);

  const app: App = {
    config,
    session,
    upload: createUploader(session),
    thumbnails,
    announce,
    showError,
    clearError,
    openFile: (id) => {
      if (location.hash !== `#file=${id}`) location.hash = `file=${id}`;
      else details.show(id);
    },
    closeFile: () => {
      history.replaceState(null, '', location.pathname + location.search);
      details.hide();
    },
    refreshFiles: () => files.reload(),
  };
  const uploads = new UploadPanel(app);
  const files = new FileList(app);
  const details = new FileDetails(app);
  replaceChildren(main, h('div', { class: 'layout' }, h('div', { class: 'column' }, uploads.element, files.element), details.element));
  onhashchange = () => showFromHash(details);
  showFromHash(details);
  files.reload();
}

function showFromHash(details: FileDetails): void {
  const id = /^#file=([\w-]+)$/.exec(location.hash)?.[1];
  if (id) details.show(id);
  else details.hide();
}

function announce(message: string): void {
  status.textContent = message;
}

function showError(message: string): void {
  replaceChildren(errorBox, h('p', {}, message), h('button', { type: 'button', onclick: clearError }, 'Dismiss error'));
}

function clearError(): void {
  replaceChildren(errorBox);
}

void start();
