/** The part of @lhncbc/ucum-lhc (untyped CommonJS) this project uses. */
declare module '@lhncbc/ucum-lhc' {
  export interface ConvertResult {
    status: 'succeeded' | 'failed' | 'error';
    toVal: number | null;
    msg: string[];
  }
  export interface UcumLhcUtilsInstance {
    convertUnitTo(fromUnitCode: string, fromVal: number, toUnitCode: string, options?: { suggest?: boolean; molecularWeight?: number | null; charge?: number | null }): ConvertResult;
  }
  export const UcumLhcUtils: { getInstance(): UcumLhcUtilsInstance };
}
