/* The FabLab calendar: FullCalendar's week and day views of one machine, a site or a
 * category, fed by /fablab/calendar/events/. Times are Europe/Luxembourg wall-clock
 * times: without a time zone plugin FullCalendar keeps the server's local times as they
 * are and sends its ranges without an offset, which the server reads as local time.
 * Choosing a free range (drag, or a click that takes the default duration) opens the
 * booking preview; nothing is booked before the maker confirms there. */
(function () {
  "use strict";

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // FullCalendar hands out "UTC-coerced" dates for a named time zone without a plugin:
  // their UTC fields are the wall-clock time in Luxembourg.
  function day(d) {
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }

  function clock(d) {
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function start() {
    var el = document.getElementById("fablab-calendar");
    if (!el || !window.FullCalendar) {
      return;
    }
    var d = el.dataset;
    var step = parseInt(d.step, 10) || 15;
    var defaultMs = (parseInt(d.defaultMinutes, 10) || 60) * 60000;
    var errorBox = document.getElementById("calendar-error");

    function bookingUrl(from, to) {
      var url = new URL(d.bookUrl, window.location.href);
      var params = { date: day(from), start: clock(from), end: clock(to) };
      if (d.resource) {
        params.resource = d.resource;
      } else {
        if (d.site) params.site = d.site;
        if (d.category) params.category = d.category;
      }
      Object.keys(params).forEach(function (key) {
        url.searchParams.set(key, params[key]);
      });
      return url.toString();
    }

    function choose(from, to) {
      if (to - from < defaultMs) {
        to = new Date(from.getTime() + defaultMs); // a click: the usual duration
      }
      window.location.assign(bookingUrl(from, to));
    }

    var calendar = new FullCalendar.Calendar(el, {
      timeZone: "Europe/Luxembourg",
      locale: d.locale || "en-gb",
      initialView: d.initialView || "timeGridWeek",
      initialDate: d.initialDate || undefined,
      firstDay: 1,
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "timeGridWeek,timeGridDay,listWeek",
      },
      slotMinTime: "07:00:00",
      slotMaxTime: "22:00:00",
      slotDuration: "00:30:00",
      snapDuration: "00:" + pad(step) + ":00",
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      nowIndicator: true,
      height: "auto",
      selectable: true,
      selectMirror: true,
      selectConstraint: "free",
      selectAllow: function (info) {
        return day(info.start) === day(new Date(info.end.getTime() - 1)) && !info.allDay;
      },
      select: function (info) {
        choose(info.start, info.end);
      },
      eventClick: function (info) {
        if (info.event.extendedProps.kind === "free") {
          info.jsEvent.preventDefault();
          choose(info.event.start, info.event.start);
        }
      },
      events: {
        url: d.eventsUrl,
        failure: function () {
          errorBox.textContent = d.error;
          errorBox.classList.remove("d-none");
        },
        success: function () {
          errorBox.classList.add("d-none");
        },
      },
    });
    calendar.render();
    window.fablabCalendar = calendar;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
