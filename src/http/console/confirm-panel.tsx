/** @jsxImportSource hono/jsx */
// The panel that asks before something is removed for good: what it is, what removing it does, one red button, Cancel.
import type { Child } from 'hono/jsx';
import { CsrfField } from './layout.js';

export function ConfirmPanel(props: {
  title: string;
  /** The facts that name what is removed (dt/dd pairs). */
  facts: Child;
  consequences: string[];
  action: string;
  csrf: string;
  button: string;
  cancel: string;
}) {
  return (
    <section class="panel narrow confirm">
      <h1 class="key-title">{props.title}</h1>
      <dl class="facts">{props.facts}</dl>
      <div class="warning" role="note">
        <ul>
          {props.consequences.map((line) => (
            <li>{line}</li>
          ))}
        </ul>
      </div>
      <form method="post" action={props.action}>
        <CsrfField csrf={props.csrf} />
        <div class="form-row">
          <button type="submit" class="danger">
            {props.button}
          </button>
          <a class="button" href={props.cancel}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
