// How the image is shown: grayscale or colour layers, per-channel ranges, label opacity, frame.
import { assign, setup } from 'xstate';

export interface ChannelSettings {
  name: string;
  /** The intensity range mapped to black..white (or to the layer colour). */
  range: [number, number];
  /** The data's own min..max, the limits of the range sliders. */
  dataRange: [number, number];
  brightness: number;
  contrast: number;
  invert: boolean;
}

export interface Layer {
  channel: number;
  color: string;
  on: boolean;
}

export interface DisplayContext {
  mode: 'grayscale' | 'color';
  channel: number;
  channels: ChannelSettings[];
  layers: Layer[];
  labelOpacity: number;
  outlineOpacity: number;
  highlight: boolean;
  showLabels: boolean;
  feature: number;
  features: number;
  /** The label layers' names, one per feature. */
  featureNames: string[];
  frame: number;
  frames: number;
}

export interface DisplayInput {
  channelNames: string[];
  channelRanges?: [number, number][];
  dtype: string;
  features: number;
  featureNames?: string[];
  frames: number;
}

export type DisplayEvent =
  | { type: 'SET_MODE'; mode: DisplayContext['mode'] }
  | { type: 'SET_CHANNEL'; channel: number }
  | { type: 'NEXT_CHANNEL' }
  | { type: 'SET_RANGE'; channel: number; range: [number, number] }
  | { type: 'SET_BRIGHTNESS'; channel: number; brightness: number }
  | { type: 'SET_CONTRAST'; channel: number; contrast: number }
  | { type: 'TOGGLE_INVERT'; channel: number }
  /** The server's channel names (they change by the undoable `rename_channel` edit). */
  | { type: 'SET_CHANNEL_NAMES'; names: string[] }
  | { type: 'ADD_LAYER' }
  | { type: 'REMOVE_LAYER'; index: number }
  | { type: 'SET_LAYER'; index: number; layer: Partial<Layer> }
  | { type: 'SET_LABEL_OPACITY'; opacity: number }
  | { type: 'SET_OUTLINE_OPACITY'; opacity: number }
  | { type: 'TOGGLE_HIGHLIGHT' }
  | { type: 'TOGGLE_LABELS' }
  | { type: 'SET_FEATURE'; feature: number }
  | { type: 'SET_FEATURE_NAMES'; names: string[] }
  | { type: 'NEXT_FEATURE' }
  | { type: 'SET_FRAME'; frame: number }
  | { type: 'NEXT_FRAME' }
  | { type: 'PREVIOUS_FRAME' }
  /** Show these channels, one colour layer each (a cell type's markers). */
  | { type: 'SHOW_CHANNELS'; channels: number[] };

export const LAYER_COLORS = [
  '#ff0000',
  '#00ff00',
  '#0000ff',
  '#00ffff',
  '#ff00ff',
  '#ffff00',
  '#ffffff',
];
export const MAX_LAYERS = 8;

/** Range a dtype can hold, used when the server gives no channel range. */
export function dtypeRange(dtype: string): [number, number] {
  switch (dtype) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'uint16':
      return [0, 65535];
    case 'int16':
      return [-32768, 32767];
    default:
      return [0, 1];
  }
}

export function initialDisplay(input: DisplayInput): DisplayContext {
  const channels = input.channelNames.map((name, c): ChannelSettings => {
    const range = input.channelRanges?.[c] ?? dtypeRange(input.dtype);
    const dataRange: [number, number] = [range[0], range[1] > range[0] ? range[1] : range[0] + 1];
    return { name, range: [...dataRange], dataRange, brightness: 0, contrast: 0, invert: false };
  });
  return {
    mode: channels.length > 1 ? 'color' : 'grayscale',
    channel: 0,
    channels,
    layers: channels.slice(0, 3).map((_c, i) => ({ channel: i, color: LAYER_COLORS[i], on: true })),
    labelOpacity: 0.3,
    outlineOpacity: 0.8,
    highlight: true,
    showLabels: true,
    feature: 0,
    features: input.features,
    featureNames:
      input.featureNames ?? Array.from({ length: input.features }, (_, i) => `feature ${i}`),
    frame: 0,
    frames: input.frames,
  };
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

function updateChannel(context: DisplayContext, channel: number, change: Partial<ChannelSettings>) {
  return context.channels.map((c, i) => (i === channel ? { ...c, ...change } : c));
}

export const displayMachine = setup({
  types: {
    context: {} as DisplayContext,
    events: {} as DisplayEvent,
    input: {} as DisplayInput,
  },
}).createMachine({
  id: 'display',
  context: ({ input }) => initialDisplay(input),
  on: {
    SET_MODE: { actions: assign({ mode: ({ event }) => event.mode }) },
    SET_CHANNEL: {
      actions: assign({
        channel: ({ context, event }) => clamp(event.channel, 0, context.channels.length - 1),
      }),
    },
    NEXT_CHANNEL: {
      actions: assign({
        channel: ({ context }) => (context.channel + 1) % context.channels.length,
      }),
    },
    SET_RANGE: {
      actions: assign({
        channels: ({ context, event }) =>
          updateChannel(context, event.channel, { range: event.range }),
      }),
    },
    SET_BRIGHTNESS: {
      actions: assign({
        channels: ({ context, event }) =>
          updateChannel(context, event.channel, { brightness: clamp(event.brightness, -1, 1) }),
      }),
    },
    SET_CONTRAST: {
      actions: assign({
        channels: ({ context, event }) =>
          updateChannel(context, event.channel, { contrast: clamp(event.contrast, -1, 1) }),
      }),
    },
    TOGGLE_INVERT: {
      actions: assign({
        channels: ({ context, event }) =>
          updateChannel(context, event.channel, {
            invert: !context.channels[event.channel].invert,
          }),
      }),
    },
    SET_CHANNEL_NAMES: {
      actions: assign({
        channels: ({ context, event }) =>
          context.channels.map((c, i) => ({ ...c, name: event.names[i] ?? c.name })),
      }),
    },
    SHOW_CHANNELS: {
      guard: ({ context, event }) =>
        event.channels.some((c) => c >= 0 && c < context.channels.length),
      actions: assign(({ context, event }) => {
        const channels = [...new Set(event.channels)]
          .filter((c) => c >= 0 && c < context.channels.length)
          .slice(0, MAX_LAYERS);
        return {
          mode: 'color' as const,
          channel: channels[0],
          layers: channels.map((channel, i) => ({
            channel,
            color: LAYER_COLORS[i % LAYER_COLORS.length],
            on: true,
          })),
        };
      }),
    },
    ADD_LAYER: {
      guard: ({ context }) => context.layers.length < MAX_LAYERS,
      actions: assign({
        layers: ({ context }) => {
          const used = new Set(context.layers.map((l) => l.channel));
          const channel = context.channels.findIndex((_c, i) => !used.has(i));
          const color = LAYER_COLORS[context.layers.length % LAYER_COLORS.length];
          return [...context.layers, { channel: Math.max(0, channel), color, on: true }];
        },
      }),
    },
    REMOVE_LAYER: {
      guard: ({ context }) => context.layers.length > 1,
      actions: assign({
        layers: ({ context, event }) => context.layers.filter((_l, i) => i !== event.index),
      }),
    },
    SET_LAYER: {
      actions: assign({
        layers: ({ context, event }) =>
          context.layers.map((l, i) => (i === event.index ? { ...l, ...event.layer } : l)),
      }),
    },
    SET_LABEL_OPACITY: {
      actions: assign({ labelOpacity: ({ event }) => clamp(event.opacity, 0, 1) }),
    },
    SET_OUTLINE_OPACITY: {
      actions: assign({ outlineOpacity: ({ event }) => clamp(event.opacity, 0, 1) }),
    },
    TOGGLE_HIGHLIGHT: { actions: assign({ highlight: ({ context }) => !context.highlight }) },
    TOGGLE_LABELS: { actions: assign({ showLabels: ({ context }) => !context.showLabels }) },
    SET_FEATURE: {
      actions: assign({
        feature: ({ context, event }) => clamp(event.feature, 0, context.features - 1),
      }),
    },
    // A layer was added (or taken away by undo): the layers are the names' count.
    SET_FEATURE_NAMES: {
      guard: ({ event }) => event.names.length > 0,
      actions: assign(({ context, event }) => ({
        featureNames: event.names,
        features: event.names.length,
        feature: Math.min(context.feature, event.names.length - 1),
      })),
    },
    NEXT_FEATURE: {
      actions: assign({ feature: ({ context }) => (context.feature + 1) % context.features }),
    },
    SET_FRAME: {
      actions: assign({ frame: ({ context, event }) => clamp(event.frame, 0, context.frames - 1) }),
    },
    NEXT_FRAME: {
      actions: assign({ frame: ({ context }) => Math.min(context.frames - 1, context.frame + 1) }),
    },
    PREVIOUS_FRAME: { actions: assign({ frame: ({ context }) => Math.max(0, context.frame - 1) }) },
  },
});
