/** ECharts ships its locale objects as UMD files without types; the Korean one as the renderer imports it. */
declare module 'echarts/i18n/langKO-obj.js' {
  const localeObj: Record<string, unknown>;
  export default localeObj;
}
