"""The chart's label placement: does a segment of the line touch a label's box?"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.participant_portal.chart import Box, segment_meets

coordinate = st.floats(min_value=-50, max_value=350, allow_nan=False, allow_infinity=False)


def sampled_hit(box: Box, x0: float, y0: float, x1: float, y1: float, margin: float,
                steps: int = 2000) -> bool:
    """Walk the segment in small steps: does any point lie within margin of the box?"""
    for step in range(steps + 1):
        share = step / steps
        if box.near(x0 + (x1 - x0) * share, y0 + (y1 - y0) * share, margin):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(x0=coordinate, y0=coordinate, x1=coordinate, y1=coordinate,
       left=coordinate, top=coordinate, width=st.floats(0, 120), height=st.floats(0, 60))
def test_segment_meets_agrees_with_walking_the_segment(x0, y0, x1, y1, left, top, width,
                                                        height):
    box = Box(left, top, left + width, top + height)
    # Whenever a walked point is in the box, the exact test says so ...
    if sampled_hit(box, x0, y0, x1, y1, margin=0):
        assert segment_meets(box, x0, y0, x1, y1)
    # ... and when the exact test says so, a walked point is in the box or a hair from it
    # (a segment may touch a box at one point that no step lands on).
    length = max(abs(x1 - x0), abs(y1 - y0))
    if segment_meets(box, x0, y0, x1, y1):
        assert sampled_hit(box, x0, y0, x1, y1, margin=length / 1000 + 1e-9)


def test_segment_meets_cases():
    box = Box(10, 10, 20, 20)
    assert segment_meets(box, 0, 15, 30, 15)  # straight through
    assert segment_meets(box, 12, 12, 13, 13)  # inside
    assert segment_meets(box, 0, 0, 10, 10)  # ends at a corner
    assert segment_meets(box, 0, 10, 30, 10)  # along an edge
    assert not segment_meets(box, 0, 0, 30, 5)  # above
    assert not segment_meets(box, 0, 21, 9, 30)  # beside a corner, never in
    assert not segment_meets(box, 25, 0, 25, 30)  # vertical, to the right
    assert segment_meets(box, 15, 0, 15, 5) is False  # vertical, stops short
