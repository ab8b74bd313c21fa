"""The web app's look: styles, the citation-click script and the theme (no font CDN)."""

from __future__ import annotations

from typing import Any

import gradio as gr

CSS = """
.sw-sources { font-size: 0.92rem; line-height: 1.45; max-height: 640px; overflow-y: auto; padding-right: 4px; }
.sw-sources h4 { margin: 0.2rem 0 0.4rem; font-size: 0.95rem; }
.sw-query { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: 0 0 0.5rem; }
.sw-empty, .sw-none { color: var(--body-text-color-subdued); }
.sw-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.35rem 0.6rem;
             margin-bottom: 0.45rem; background: var(--background-fill-secondary); scroll-margin-top: 1rem;
             transition: box-shadow 0.3s; }
.sw-source summary { cursor: pointer; }
.sw-source[open] summary { margin-bottom: 0.35rem; }
.sw-n { font-weight: 700; color: var(--color-accent); }
.sw-where, .sw-file { color: var(--body-text-color-subdued); font-size: 0.82rem; }
.sw-passage { white-space: pre-wrap; }
.sw-code { white-space: pre; overflow-x: auto; font-family: ui-monospace, monospace; margin: 0.3em 0; }
.sw-passage mark, .sw-quoted mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.sw-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.sw-older > summary { cursor: pointer; color: var(--body-text-color-subdued); margin: 0.6rem 0 0.4rem; }
#sw-chat a[href*="#bron-"] { text-decoration: none; font-weight: 600; }
.sw-heading { margin: 0 0 0.6rem; font-size: 1.05rem; }
.sw-doc { margin-bottom: 0.6rem; }
.sw-doc-title { font-weight: 600; margin: 0 0 0.3rem; overflow: hidden; text-overflow: ellipsis; }
.sw-source summary .sw-where { font-size: 0.88rem; color: var(--body-text-color); }
#sw-docs, #sw-docs * { font-family: var(--font); }
@media (max-width: 640px) {
  #sw-ask { flex-direction: column; }
  #sw-ask > * { width: 100%; min-width: 0 !important; }
  .sw-sources { max-height: none; }
  #sw-chat .message-row { max-width: 100%; margin-left: 0; margin-right: 0; }  /* no avatars: no room kept for them */
  /* the documents table scrolls sideways instead of showing one letter per line */
  #sw-docs :is(th, .body-cell) { width: 150px !important; min-width: 150px !important; max-width: 150px !important; }
  #sw-docs :is(th, .body-cell):is(:nth-child(3), :nth-child(4)) { width: 80px !important; min-width: 80px !important; max-width: 80px !important; }
  #sw-docs :is(th, .body-cell):nth-child(1) { width: 190px !important; min-width: 190px !important; max-width: 190px !important; }
}
.sw-hint, .sw-hint p { color: var(--body-text-color-subdued); font-size: 0.88rem; }
"""

# A click on a citation [n] in the chat opens (and scrolls to) passage n in the sources panel.
JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest('a[href*="#bron-"]') : null;
    if (!a) return;
    const id = a.getAttribute('href').split('#').pop();
    const el = document.getElementById(id);
    ev.preventDefault();
    ev.stopPropagation();
    if (!el) return;
    for (let p = el; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
    el.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    el.classList.add('sw-flash');
    setTimeout(() => el.classList.remove('sw-flash'), 1600);
  }, true);
}
"""


def theme() -> Any:
    """Gradio's default look with the system's fonts: the browser fetches nothing from font CDNs."""
    return gr.themes.Default(primary_hue="orange", font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto",
                                                          "Helvetica", "Arial", "sans-serif"],
                             font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])
