"""Moves every clock Python reads by CLOCK_SHIFT_DAYS, for checking that nothing depends on today's date.

Put this folder first on PYTHONPATH (`make test-later` does) and every Python process started from there, the
subprocesses and servers the tests start included, sees the wall clock that many days on: `datetime.now`,
`date.today`, `time.time` and the functions built on it. Monotonic clocks are left alone, so sleeps and timeouts run
as usual. It does what `faketime -f +400d` does for the Python clocks, without the hangs libfaketime causes in
subprocess and multiprocessing code.
"""

import datetime as _datetime
import os
import time as _time

_DAYS = float(os.environ.get("CLOCK_SHIFT_DAYS", "0") or 0)

if _DAYS:
    _SHIFT = _DAYS * 86400
    _real_time = _time.time
    _real_time_ns = _time.time_ns
    _real_localtime = _time.localtime
    _real_gmtime = _time.gmtime
    _real_ctime = _time.ctime
    _real_strftime = _time.strftime

    def _time_now():
        return _real_time() + _SHIFT

    _time.time = _time_now
    _time.time_ns = lambda: _real_time_ns() + int(_SHIFT * 1_000_000_000)
    _time.localtime = lambda secs=None: _real_localtime(_time_now() if secs is None else secs)
    _time.gmtime = lambda secs=None: _real_gmtime(_time_now() if secs is None else secs)
    _time.ctime = lambda secs=None: _real_ctime(_time_now() if secs is None else secs)
    _time.strftime = lambda fmt, t=None: _real_strftime(fmt, _time.localtime() if t is None else t)

    _base_datetime = _datetime.datetime
    _base_date = _datetime.date
    _delta = _datetime.timedelta(days=_DAYS)

    class _StandsIn(type):
        """isinstance and issubclass answer for the real class, so values made by C code still count."""

        def __instancecheck__(cls, value):
            return isinstance(value, cls.__mro__[1])

        def __subclasscheck__(cls, other):
            return issubclass(other, cls.__mro__[1])

    class datetime(_base_datetime, metaclass=_StandsIn):  # noqa: N801 - stands in for the class of that name
        @classmethod
        def now(cls, tz=None):
            return _base_datetime.now(tz) + _delta

        @classmethod
        def utcnow(cls):
            return _base_datetime.now(_datetime.UTC).replace(tzinfo=None) + _delta

        @classmethod
        def today(cls):
            return cls.now()

    class date(_base_date, metaclass=_StandsIn):  # noqa: N801 - stands in for the class of that name
        @classmethod
        def today(cls):
            return (_base_datetime.now() + _delta).date()

    datetime.__name__, date.__name__ = "datetime", "date"
    datetime.__module__ = date.__module__ = "datetime"
    _datetime.datetime = datetime
    _datetime.date = date
