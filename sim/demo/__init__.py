"""The teaching demo in the browser (issue 4), served by ``cogov demo``.

One module per job, the browser side last:

* :mod:`sim.demo.levers` — the lever table (``LEVERS``, ``LEVER_BY_PATH``, ``GROUPS``), the
  lesson's preset order and titles, the explanation texts;
* :mod:`sim.demo.adapter` — the presets (``DemoSettings``) and ``DemoModel``, a
  :class:`~sim.model.CoGovModel` built from browser values whose levers act from next month;
* :mod:`sim.demo.community_svg` and :mod:`sim.demo.charts_svg` — the picture and the charts,
  drawn on the server as SVG;
* :mod:`sim.demo.font` — the Chinese font the page carries inline (a subset of the shipped
  font to the characters the page can write);
* :mod:`sim.demo.page` — CSS and the solara components: the run's controls, the panels of
  Reset settings and levers, the picture and charts (``Page``);
* :mod:`sim.demo.server` — ``serve``.

Only ``page`` imports solara and Mesa's visualization (``server`` loads them when serving
starts): the other modules run and are tested without them. This package imports nothing on its
own; ``sim.app`` is the entry point the command line uses.
"""
