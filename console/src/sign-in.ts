import { errorOf, messageOf } from './api';
import type { ConsoleConfig } from './config';
import { h } from './dom';

const tokenKey = 'file-service-console.token';

/** The token lives in sessionStorage: gone when the tab closes, never sent anywhere but the API. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(tokenKey) ?? undefined;
}

export function storeToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}

interface SignInHooks {
  onSignIn(): void;
  showError(message: string): void;
  announce(message: string): void;
}

export function signInForm(config: ConsoleConfig, hooks: SignInHooks): HTMLElement {
  const tokenInput = h('textarea', { id: 'token', name: 'token', rows: 4, required: true, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'token-help' });
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const token = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
        if (!token) return hooks.showError('Paste a token first.');
        storeToken(token);
        hooks.announce('Signed in');
        hooks.onSignIn();
      },
    },
    h('label', { for: 'token' }, 'Access token (JWT)'),
    tokenInput,
    h('p', { id: 'token-help', class: 'help' }, 'A bearer token of your identity provider with the tenant claim. It is kept in this tab only (sessionStorage) until you sign out or close the tab.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  const demo =
    config.localSignIn &&
    h(
      'div',
      { class: 'demo' },
      h('p', {}, 'Running locally with npm start:'),
      h('button', { type: 'button', class: 'primary', onclick: () => void signInAsDemoUser(config, hooks) }, 'Sign in as demo user'),
    );
  return h('section', { class: 'card sign-in-card', 'aria-labelledby': 'sign-in-title' }, h('h2', { id: 'sign-in-title' }, 'Sign in'), demo, form);
}

async function signInAsDemoUser(config: ConsoleConfig, hooks: SignInHooks): Promise<void> {
  try {
    const response = await fetch(`${config.apiUrl}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (!response.ok) throw await errorOf(response);
    const { token } = (await response.json()) as { token: string };
    storeToken(token);
    hooks.announce('Signed in as the demo user');
    hooks.onSignIn();
  } catch (error) {
    hooks.showError(`Demo sign-in failed: ${messageOf(error)}`);
  }
}
