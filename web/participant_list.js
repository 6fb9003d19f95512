// The "People" sidebar: you first, then everyone else by name, with their media icons.
import { demo } from './state.js';
import { ui, el, icon } from './dom.js';
import { initials, displayName } from './tiles.js';

function trackIcons(kinds, audioOn = true, videoOn = true) {
  const icons = [];
  if (kinds.has('audio')) {
    icons.push(el('span', { className: `icon${audioOn ? '' : ' off'}`, title: audioOn ? 'Microphone on' : 'Microphone off' }, [icon(audioOn ? 'mic' : 'mic-off')]));
  }
  if (kinds.has('video')) {
    icons.push(el('span', { className: `icon${videoOn ? '' : ' off'}`, title: videoOn ? 'Camera on' : 'Camera off' }, [icon(videoOn ? 'camera' : 'camera-off')]));
  }
  if (!icons.length) icons.push(el('span', { className: 'icon muted-text', text: 'no media' }));
  return icons;
}

export function renderParticipants() {
  const items = [];
  if (demo.participantId !== null) {
    const stream = demo.localStream;
    const kinds = new Set(stream ? stream.getTracks().map((t) => t.kind) : []);
    const a = stream && stream.getAudioTracks()[0];
    const v = stream && stream.getVideoTracks()[0];
    items.push(
      el('li', { className: 'participant self', 'data-testid': 'participant-item', 'data-participant-id': demo.participantId }, [
        el('span', { className: 'avatar-sm', text: initials(demo.name) }),
        el('span', { className: 'pname', text: `${demo.name} (you)` }),
        el('span', { className: 'icons' }, trackIcons(kinds, !a || a.enabled, !v || v.enabled)),
      ]),
    );
  }
  const others = [...demo.participants.values()].sort((x, y) => displayName(x.id).localeCompare(displayName(y.id)));
  for (const p of others) {
    items.push(
      el('li', { className: 'participant', 'data-testid': 'participant-item', 'data-participant-id': p.id }, [
        el('span', { className: 'avatar-sm', text: initials(displayName(p.id)) }),
        el('span', { className: 'pname', text: displayName(p.id) }),
        el('span', { className: 'icons' }, trackIcons(new Set(p.tracks.map((t) => t.kind)))),
      ]),
    );
  }
  ui.list.replaceChildren(...items);
  ui.count.textContent = String(items.length);
}
