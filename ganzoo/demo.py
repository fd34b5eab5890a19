"""``ganzoo demo``: a local Gradio web app of the zoo (the optional ``ganzoo[demo]`` extra).

:func:`build_demo` returns the app (a ``gradio.Blocks``) and :func:`launch` starts it: on the CPU by default, offline
(the zoo's bundled weights; no analytics), with the models loaded once and cached. Tabs:

* **Sample**: an entry, a seed, a count, the truncation psi and, for conditional entries only, a class
  (``ganzoo.sample``);
* **Interpolate**: two seeds, steps, slerp or lerp (``ganzoo.interpolate``);
* **More like these**: uploaded images and/or picks from a grid of the model's samples (``ganzoo.search``);
* **Project**: an uploaded image and its reconstruction (``ganzoo.project``);
* **Translate**: an uploaded image; for edges2fashion also edges drawn on a sketchpad (``ganzoo.translate``).

Each tab shows the chosen entry's model-card scores and their protocol. Bad input (an unreadable or far from
square upload, an unknown entry, a class out of range, ...) is a message in the page (``gradio.Error``), never a
traceback; an upload of the right shape but another size is resized, with a note. Every tab's function is also a
named API endpoint (``/sample``, ``/interpolate``, ``/candidates``, ``/search``, ``/project``, ``/translate``,
``/translate_sketch``) that ``gradio_client`` can call.

Gradio is imported only by :func:`build_demo` and :func:`launch`; the functions behind the tabs (``run_*``, in
:mod:`ganzoo.demo_tabs`) take and return plain values (PIL images, Markdown text) and raise
:class:`~ganzoo.demo_tabs.DemoInputError` for bad input.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ganzoo.demo_tabs import (
    ANY_CLASS,
    CANDIDATES,
    MAX_COUNT,
    MAX_PROJECT_STEPS,
    MAX_SEARCH_STEPS,
    MAX_STEPS,
    _entry,
    card_markdown,
    class_choices,
    direction_choices,
    image_entries,
    run_candidates,
    run_interpolate,
    run_project,
    run_sample,
    run_search,
    run_translate,
    run_translate_sketch,
    translation_entries,
)
from ganzoo.zoo import get_entry

SKETCH_SIZE = 256  # the sketchpad's canvas (px), downsampled to the translator's input size
CSS = (  # the 32x32 images fill their box, sharp (no blur from the browser's smooth scaling)
    ".ganzoo-pixels img { image-rendering: pixelated; width: 100% !important; height: 100% !important; "
    "object-fit: contain !important; } .ganzoo-sharp img { image-rendering: pixelated; }"
)


# ---------------------------------------------------------------------------------------------------- the app
def _in_page(fn: Callable) -> Callable:
    """``fn`` with bad input (``ValueError``, ``FileNotFoundError``) turned into a ``gradio.Error``: a message in
    the page, no traceback in the page or the console."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        try:
            return fn(*args)
        except (ValueError, FileNotFoundError) as e:
            raise gr.Error(str(e), print_exception=False) from None

    return wrapped


def build_demo(default_entry: str = "dcgan-fashion_mnist") -> Any:
    """The zoo's web app, a ``gradio.Blocks``: ``build_demo().launch()`` serves it (or use :func:`launch`, which
    adds the page's CSS and error messages). Needs the ``ganzoo[demo]`` extra."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio as gr
    except ImportError:
        raise ImportError("ganzoo demo needs Gradio: pip install 'ganzoo[demo]'") from None

    images, translators = image_entries(), translation_entries()
    if not images:
        raise RuntimeError("the zoo has no bundled latent image generator to show")
    first = default_entry if default_entry in images else images[0]
    first_tr = translators[0] if translators else None

    def class_update(name: str) -> Any:
        try:
            choices = class_choices(name)
        except ValueError:
            return gr.update(visible=False, value=ANY_CLASS)
        return gr.update(choices=choices, value=ANY_CLASS, visible=bool(choices))

    def entry_changed(name: str) -> tuple[Any, str]:
        return class_update(name), card_markdown(name)

    def translator_changed(name: str) -> tuple[Any, Any, str]:
        try:
            e = _entry(name, "translation")
            dirs = direction_choices(name)
        except ValueError as err:
            raise gr.Error(str(err), print_exception=False) from None
        return (gr.update(choices=dirs, value=dirs[0][1]), gr.update(visible=e.dataset.startswith("edges2")),
                card_markdown(name))

    def entry_box(label: str = "zoo entry") -> Any:
        return gr.Dropdown(images, value=first, label=label, allow_custom_value=True, filterable=True)

    def class_box() -> Any:
        choices = class_choices(first)
        return gr.Dropdown(choices or [("every class", ANY_CLASS)], value=ANY_CLASS, label="class",
                           visible=bool(choices), allow_custom_value=True)

    def image_out(label: str, elem_id: str) -> Any:
        return gr.Image(label=label, type="pil", format="png", interactive=False, elem_id=elem_id,
                        elem_classes=["ganzoo-pixels"], height=360)

    def card(name: str | None) -> Any:
        with gr.Accordion("Model card: scores and protocol", open=True):
            return gr.Markdown(card_markdown(name) if name else "")

    truncation_help = "latent coordinates outside ±ψ are redrawn (a truncated normal); 0 is off"
    with gr.Blocks(title="ganzoo: the zoo", analytics_enabled=False) as demo:
        gr.Markdown("# ganzoo: the zoo\nThe pretrained models bundled with ganzoo, on this computer's CPU, offline. "
                    "Sample, interpolate, find samples like your images, project an image into a generator, or "
                    "translate one. Each tab shows its model's card scores and how they were measured.")
        with gr.Tab("Sample", id="sample"):
            with gr.Row():
                with gr.Column(scale=1):
                    s_entry = entry_box()
                    s_seed = gr.Number(0, label="seed", precision=0, minimum=0)
                    s_count = gr.Slider(1, MAX_COUNT, 16, step=1, label="count")
                    s_trunc = gr.Slider(0, 3, 0, step=0.1, label="truncation ψ", info=truncation_help)
                    s_class = class_box()
                    s_go = gr.Button("Generate", variant="primary", elem_id="sample-generate")
                with gr.Column(scale=2):
                    s_out = image_out("samples", "sample-output")
                    s_note = gr.Markdown(elem_id="sample-note")
            s_card = card(first)
            s_entry.change(entry_changed, s_entry, [s_class, s_card], api_name=False)
            s_go.click(_in_page(run_sample), [s_entry, s_seed, s_count, s_trunc, s_class], [s_out, s_note],
                       api_name="sample")

        with gr.Tab("Interpolate", id="interpolate"):
            with gr.Row():
                with gr.Column(scale=1):
                    i_entry = entry_box()
                    with gr.Row():
                        i_a = gr.Number(0, label="seed A", precision=0, minimum=0)
                        i_b = gr.Number(1, label="seed B", precision=0, minimum=0)
                    i_steps = gr.Slider(2, MAX_STEPS, 8, step=1, label="steps")
                    i_method = gr.Radio(["slerp", "lerp"], value="slerp", label="method",
                                        info="slerp keeps the latents' norm (normal priors); lerp is a straight line")
                    i_trunc = gr.Slider(0, 3, 0, step=0.1, label="truncation ψ", info=truncation_help)
                    i_class = class_box()
                    i_go = gr.Button("Interpolate", variant="primary", elem_id="interpolate-go")
                with gr.Column(scale=2):
                    i_out = image_out("frames", "interpolate-output")
                    i_note = gr.Markdown()
            i_card = card(first)
            i_entry.change(entry_changed, i_entry, [i_class, i_card], api_name=False)
            i_go.click(_in_page(run_interpolate), [i_entry, i_a, i_b, i_steps, i_method, i_trunc, i_class],
                       [i_out, i_note], api_name="interpolate")

        with gr.Tab("More like these", id="search"):
            with gr.Row():
                with gr.Column(scale=1):
                    m_entry = entry_box()
                    m_seed = gr.Number(0, label="seed", precision=0, minimum=0)
                    m_files = gr.File(label="example images (2 or more, or pick samples)", file_count="multiple",
                                      file_types=["image"])
                    m_count = gr.Slider(1, MAX_COUNT, 16, step=1, label="count")
                    m_steps = gr.Slider(0, MAX_SEARCH_STEPS, 30, step=1, label="steps")
                    m_go = gr.Button("Find more like these", variant="primary", elem_id="search-go")
                with gr.Column(scale=2):
                    with gr.Accordion("Pick examples from the model's samples", open=True):
                        m_draw = gr.Button("Show samples of this seed")
                        m_cands = gr.Gallery(label=f"{CANDIDATES} samples", columns=6, height="auto", format="png",
                                             elem_classes=["ganzoo-sharp"], interactive=False, allow_preview=False)
                        m_pick = gr.CheckboxGroup([(str(i), i) for i in range(CANDIDATES)],
                                                  label="use these samples as examples")
                    m_out = image_out("examples (top) and found samples", "search-output")
                    m_note = gr.Markdown()
            m_card = card(first)
            m_entry.change(card_markdown, m_entry, m_card, api_name=False)
            m_draw.click(_in_page(run_candidates), [m_entry, m_seed], m_cands, api_name="candidates")
            m_go.click(_in_page(run_search), [m_entry, m_files, m_pick, m_seed, m_count, m_steps], [m_out, m_note],
                       api_name="search")

        with gr.Tab("Project", id="project"):
            with gr.Row():
                with gr.Column(scale=1):
                    p_entry = entry_box()
                    p_in = gr.Image(label="an image to project (a light garment on black, as in Fashion-MNIST)",
                                    type="filepath", sources=["upload", "clipboard"], image_mode=None,
                                    elem_classes=["ganzoo-pixels"], height=240)
                    p_steps = gr.Slider(0, MAX_PROJECT_STEPS, 100, step=10, label="steps")
                    p_seed = gr.Number(0, label="seed", precision=0, minimum=0)
                    p_go = gr.Button("Project", variant="primary", elem_id="project-go")
                with gr.Column(scale=2):
                    p_out = image_out("image | reconstruction", "project-output")
                    p_note = gr.Markdown()
            p_card = card(first)
            p_entry.change(card_markdown, p_entry, p_card, api_name=False)
            p_go.click(_in_page(run_project), [p_entry, p_in, p_steps, p_seed], [p_out, p_note], api_name="project")

        with gr.Tab("Translate", id="translate"):
            with gr.Row():
                with gr.Column(scale=1):
                    t_entry = gr.Dropdown(translators, value=first_tr, label="translator", allow_custom_value=True)
                    dirs = direction_choices(first_tr) if first_tr else [("AtoB", "AtoB")]
                    t_dir = gr.Dropdown(dirs, value=dirs[0][1], label="direction", allow_custom_value=True)
                    t_in = gr.Image(label="an image to translate", type="filepath", sources=["upload", "clipboard"],
                                    image_mode=None, elem_classes=["ganzoo-pixels"], height=240)
                    t_go = gr.Button("Translate the image", variant="primary", elem_id="translate-go")
                    edges = bool(first_tr) and get_entry(first_tr).dataset.startswith("edges2")
                    with gr.Group(visible=edges) as t_sketch_box:
                        t_sketch = gr.Sketchpad(
                            label="or draw edges (white on black)", type="numpy", image_mode="RGBA",
                            canvas_size=(SKETCH_SIZE, SKETCH_SIZE), fixed_canvas=True,
                            value=np.zeros((SKETCH_SIZE, SKETCH_SIZE, 3), dtype=np.uint8),
                            brush=gr.Brush(default_size=14, colors=["#ffffff"], color_mode="fixed"), layers=False)
                        t_sketch_go = gr.Button("Translate the sketch", elem_id="translate-sketch-go")
                with gr.Column(scale=2):
                    t_out = image_out("input | translation", "translate-output")
                    t_note = gr.Markdown()
            t_card = card(first_tr)
            t_entry.change(translator_changed, t_entry, [t_dir, t_sketch_box, t_card], api_name=False)
            t_go.click(_in_page(run_translate), [t_entry, t_in, t_dir], [t_out, t_note], api_name="translate")
            t_sketch_go.click(_in_page(run_translate_sketch), [t_entry, t_sketch, t_dir], [t_out, t_note],
                              api_name="translate_sketch")
    return demo


def launch(host: str = "127.0.0.1", port: int | None = None, share: bool = False, *, block: bool = True,
           quiet: bool = False, demo: Any = None) -> tuple[Any, str]:
    """Build (or take) the demo and serve it at ``host:port`` (``port=None``: Gradio's first free port from 7860);
    returns ``(demo, url)``. ``block=False`` returns at once and leaves the server running (``demo.close()`` stops
    it). ``share=True`` asks Gradio for a public link (needs the network). Errors are shown in the page."""
    demo = build_demo() if demo is None else demo
    _, url, share_url = demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True,
                                    show_error=True, quiet=True, css=CSS, footer_links=["api", "gradio"])
    url = share_url or url
    if not quiet:
        print(f"ganzoo demo: running at {url} (Ctrl+C stops it)", flush=True)
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
    return demo, url
