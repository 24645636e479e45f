#version 300 es
// Draws the image for one canvas pixel of a tile quad: raw channels mixed by the display settings,
// then the label fill, outlines, selected-cell highlight, the local brush preview and tool cursors.
// The background pass (u_tile false) paints what no tile covers.
precision highp float;
precision highp int;
precision highp isampler2D;

const int MAX_LAYERS = 8;
const int LOOKUP_WIDTH = 4096;

// Raw channels of the shown layers, one R32F texture each, from one tile of one pyramid level.
uniform sampler2D u_raw0;
uniform sampler2D u_raw1;
uniform sampler2D u_raw2;
uniform sampler2D u_raw3;
uniform sampler2D u_raw4;
uniform sampler2D u_raw5;
uniform sampler2D u_raw6;
uniform sampler2D u_raw7;
uniform isampler2D u_labels;    // R32I label values of one tile of the shown feature and frame,
                                // with a 1-texel border from the tiles beside it (0 off the image)
uniform sampler2D u_lookup;     // RGBA8 per label value: cell colour, alpha 255 = selected cell
uniform sampler2D u_overlay;    // R8 level-0 tile: 1 = painted locally, 2 = erased locally
uniform sampler2D u_typeLookup; // RGBA8 per label value: cell-type colour, alpha = type opacity

uniform vec2 u_imageSize;       // level-0 pixels
uniform vec2 u_origin;          // image point at the canvas's top-left corner
uniform float u_scale;          // image pixels per device pixel
uniform vec2 u_canvasSize;      // device pixels
uniform bool u_tile;            // false: the background pass, which covers the whole canvas

// Where each texture's texels lie: pyramid level step (2^level), the tile's first texel in that
// level's pixels, the tile's size and the level's size.
uniform float u_rawStep;
uniform ivec2 u_rawOrigin;
uniform float u_labelStep;
uniform ivec2 u_labelOrigin;
uniform bool u_hasOverlay;
uniform ivec2 u_overlayOrigin;

uniform int u_layerCount;
uniform vec3 u_layerColor[MAX_LAYERS];
uniform vec2 u_layerRange[MAX_LAYERS];
uniform bool u_grayscale;
uniform float u_brightness;
uniform float u_contrast;
uniform bool u_invert;

uniform bool u_showLabels;
uniform float u_labelOpacity;
uniform float u_outlineOpacity;
uniform bool u_highlight;
uniform int u_lookupSize;
uniform int u_typeLookupSize;   // 0 = no cell types shown
uniform bool u_hasLabels;
uniform vec3 u_selectedColor;

uniform vec3 u_brush;           // x, y, radius in image pixels; radius 0 = no brush cursor
uniform vec4 u_box;             // x1, y1, x2, y2; x2 < x1 = no box
uniform vec3 u_seed;            // x, y, 1 when a watershed seed is placed
uniform vec3 u_background;
uniform vec3 u_edgeColor;

out vec4 outColor;

vec3 hashColor(int value) {
  float hue = fract(float(value) * 0.61803398875);
  vec3 k = mod(vec3(5.0, 3.0, 1.0) + hue * 6.0, 6.0);
  return vec3(0.85) - 0.6 * clamp(min(k, 4.0 - k), 0.0, 1.0);
}

vec4 lookupValue(int value) {
  if (value < u_lookupSize) {
    return texelFetch(u_lookup, ivec2(value % LOOKUP_WIDTH, value / LOOKUP_WIDTH), 0);
  }
  return vec4(hashColor(value), 0.5);
}

// One layer's contribution: its channel's value mapped through its range onto its colour.
vec3 layerColor(int i, float v) {
  vec2 range = u_layerRange[i];
  return clamp((v - range.x) / max(range.y - range.x, 1e-6), 0.0, 1.0) * u_layerColor[i];
}

vec3 rawColor(ivec2 p) {
  // Written out layer by layer: each sampler is named once, and unused layers cost a comparison.
  vec3 color = vec3(0.0);
  if (u_layerCount > 0) color += layerColor(0, texelFetch(u_raw0, p, 0).r);
  if (u_layerCount > 1) color += layerColor(1, texelFetch(u_raw1, p, 0).r);
  if (u_layerCount > 2) color += layerColor(2, texelFetch(u_raw2, p, 0).r);
  if (u_layerCount > 3) color += layerColor(3, texelFetch(u_raw3, p, 0).r);
  if (u_layerCount > 4) color += layerColor(4, texelFetch(u_raw4, p, 0).r);
  if (u_layerCount > 5) color += layerColor(5, texelFetch(u_raw5, p, 0).r);
  if (u_layerCount > 6) color += layerColor(6, texelFetch(u_raw6, p, 0).r);
  if (u_layerCount > 7) color += layerColor(7, texelFetch(u_raw7, p, 0).r);
  if (u_grayscale) {
    float g = color.r;
    g = (g - 0.5) * (1.0 + u_contrast) / max(1.0 - u_contrast, 0.05) + 0.5 + u_brightness;
    g = clamp(g, 0.0, 1.0);
    if (u_invert) g = 1.0 - g;
    color = vec3(g);
  }
  return clamp(color, 0.0, 1.0);
}

void main() {
  vec2 screen = vec2(gl_FragCoord.x, u_canvasSize.y - gl_FragCoord.y);
  vec2 image = u_origin + screen * u_scale;

  // Edge markers: a band along each canvas edge beyond which the image continues.
  float band = 5.0;
  vec2 viewEnd = u_origin + u_canvasSize * u_scale;
  bool beyond = (u_origin.x > 0.0 && screen.x < band) || (u_origin.y > 0.0 && screen.y < band) ||
                (viewEnd.x < u_imageSize.x && screen.x > u_canvasSize.x - band) ||
                (viewEnd.y < u_imageSize.y && screen.y > u_canvasSize.y - band);

  bool outside = image.x < 0.0 || image.y < 0.0 || image.x >= u_imageSize.x || image.y >= u_imageSize.y;
  if (!u_tile || outside) {
    outColor = vec4(u_background, 1.0);
  } else {
    vec3 color = rawColor(ivec2(floor(image / u_rawStep)) - u_rawOrigin);
    if (u_hasLabels && u_showLabels) {
      ivec2 p = ivec2(floor(image / u_labelStep));
      ivec2 local = p - u_labelOrigin + 1;  // past the border
      int value = texelFetch(u_labels, local, 0).r;
      if (value != 0) {
        vec4 cell = lookupValue(value);
        bool selected = u_highlight && cell.a > 0.99;
        vec3 fill = selected ? u_selectedColor : cell.rgb;
        color = mix(color, fill, selected ? max(u_labelOpacity, 0.5) : u_labelOpacity);
        if (value < u_typeLookupSize) {
          vec4 type = texelFetch(u_typeLookup, ivec2(value % LOOKUP_WIDTH, value / LOOKUP_WIDTH), 0);
          if (!selected) color = mix(color, type.rgb, type.a);
        }
        bool edge = texelFetch(u_labels, local + ivec2(1, 0), 0).r != value ||
                    texelFetch(u_labels, local - ivec2(1, 0), 0).r != value ||
                    texelFetch(u_labels, local + ivec2(0, 1), 0).r != value ||
                    texelFetch(u_labels, local - ivec2(0, 1), 0).r != value;
        if (edge) color = mix(color, selected ? vec3(1.0, 0.1, 0.1) : vec3(1.0), u_outlineOpacity);
      }
    }
    float overlay = u_hasOverlay ? texelFetch(u_overlay, ivec2(floor(image)) - u_overlayOrigin, 0).r * 255.0 : 0.0;
    if (overlay > 0.5 && overlay < 1.5) color = mix(color, u_selectedColor, 0.7);
    else if (overlay > 1.5) color = mix(color, vec3(0.0), 0.6);

    // Tool cursors, one device pixel wide.
    if (u_brush.z > 0.0) {
      float d = abs(distance(image, u_brush.xy) - u_brush.z);
      if (d < u_scale) color = vec3(1.0);
    }
    if (u_box.z >= u_box.x) {
      bool inside = image.x >= u_box.x && image.x <= u_box.z + 1.0 && image.y >= u_box.y && image.y <= u_box.w + 1.0;
      bool border = inside && (image.x - u_box.x < u_scale * 2.0 || u_box.z + 1.0 - image.x < u_scale * 2.0 ||
                               image.y - u_box.y < u_scale * 2.0 || u_box.w + 1.0 - image.y < u_scale * 2.0);
      if (border) color = vec3(1.0, 1.0, 0.0);
    }
    if (u_seed.z > 0.0 && distance(image, u_seed.xy + 0.5) < max(1.5, 4.0 * u_scale)) color = vec3(1.0, 1.0, 0.0);
    outColor = vec4(color, 1.0);
  }

  if (beyond) outColor.rgb = mix(outColor.rgb, u_edgeColor, 0.8);
}
